/* The CLI's commands.  Each takes the arguments after "pixpipe" (argv[0] is
 * the command name) and returns the process exit status: 0 success, 1 some
 * job failed, 2 bad usage or configuration. */
#ifndef PIX_CORE_COMMANDS_H
#define PIX_CORE_COMMANDS_H

#define PIX_VERSION "0.2.0"

int pix_cmd_run(int argc, char **argv);
int pix_cmd_validate(int argc, char **argv);
int pix_cmd_plugins(int argc, char **argv);
int pix_cmd_lambda(int argc, char **argv);
int pix_cmd_worker(int argc, char **argv);
int pix_cmd_watch(int argc, char **argv);

#endif
