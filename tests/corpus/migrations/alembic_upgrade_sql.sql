BEGIN;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> ec2daaeb4627

CREATE TABLE account (
    id SERIAL NOT NULL, 
    name VARCHAR(50) NOT NULL, 
    description VARCHAR(200), 
    PRIMARY KEY (id)
);

ALTER TABLE account ADD COLUMN last_login TIMESTAMP WITHOUT TIME ZONE;

CREATE INDEX ix_account_name ON account (name);

UPDATE account SET description = 'n/a' WHERE description IS NULL;

INSERT INTO alembic_version (version_num) VALUES ('ec2daaeb4627') RETURNING alembic_version.version_num;

-- Running upgrade ec2daaeb4627 -> 6d3855a5d79f

ALTER TABLE account DROP COLUMN description;

ALTER TABLE account ALTER COLUMN name TYPE VARCHAR(100);

UPDATE alembic_version SET version_num='6d3855a5d79f' WHERE alembic_version.version_num = 'ec2daaeb4627';

COMMIT;

