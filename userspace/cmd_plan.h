/* `sqlward plan SUBCOMMAND ...` (cmd_plan.c): approved plans; argv[0] is "plan". */
#ifndef SQLWARD_CMD_PLAN_H
#define SQLWARD_CMD_PLAN_H

int sw_cmd_plan(int argc, char **argv);

#endif
