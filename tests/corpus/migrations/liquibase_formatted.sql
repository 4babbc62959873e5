--liquibase formatted sql

--changeset alice:1
CREATE TABLE person (id int PRIMARY KEY, name varchar(50) NOT NULL);
--rollback DROP TABLE person;

--changeset alice:2
ALTER TABLE person ADD COLUMN email varchar(255);
--rollback ALTER TABLE person DROP COLUMN email;
