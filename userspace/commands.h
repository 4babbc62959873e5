/*
 * `sqlward SUBCOMMAND ...` entry points. Each takes the subcommand's own
 * argv (argv[0] is the subcommand name), parses it with getopt_long and
 * returns the process exit status.
 */
#ifndef SQLWARD_COMMANDS_H
#define SQLWARD_COMMANDS_H

/*
 * sqlward log [--ledger FILE] [--role GLOB] [--verdict allow|hold|deny]
 *             [--since TIME] [--until TIME] [--type statement|daemon|all]
 *             [--limit N] [--format table|json]
 * 0 (also when nothing matched), 2 on bad usage or an unreadable ledger.
 */
int sw_cmd_log(int argc, char **argv);

/*
 * sqlward verify [--ledger FILE] [--format text|json]
 * 0 chain intact, 1 a record is bad, 2 bad usage or unreadable ledger.
 */
int sw_cmd_verify(int argc, char **argv);

/* sqlward run [...]: the gate daemon (cmd_run.c). */
int sw_cmd_run(int argc, char **argv);
/* sqlward detach [PIN_DIR]: remove pinned probes (cmd_run.c). */
int sw_cmd_detach(int argc, char **argv);
/* sqlward check [...]: offline classification and judgement (cmd_check.c). */
int sw_cmd_check(int argc, char **argv);
/*
 * sqlward doctor [--pg-bin PATH]... [--mariadb-pid PID]... [--policy FILE] [--ledger FILE]
 *                [--pin-dir DIR] [--socket PATH] [--format text|json]   (cmd_doctor.c)
 * 0 no check failed (warnings allowed), 1 a check failed, 2 bad usage.
 */
int sw_cmd_doctor(int argc, char **argv);
/* Control-socket clients (cmd_pending.c). */
int sw_cmd_pending(int argc, char **argv);
int sw_cmd_show(int argc, char **argv);
int sw_cmd_approve(int argc, char **argv);
int sw_cmd_deny(int argc, char **argv);
int sw_cmd_status(int argc, char **argv);
int sw_cmd_freeze(int argc, char **argv);

#endif
