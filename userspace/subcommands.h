/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HAREPLCTL_SUBCOMMANDS_H
#define HAREPLCTL_SUBCOMMANDS_H

/*
 * argv[0] is the subcommand's name; config is the -c FILE given before it,
 * or NULL. Each returns an exit status (enum rc).
 */
int create_md_main(int argc, char *argv[], const char *config);
int dump_md_main(int argc, char *argv[], const char *config);
int up_main(int argc, char *argv[], const char *config);
int down_main(int argc, char *argv[], const char *config);
int primary_main(int argc, char *argv[], const char *config);
int secondary_main(int argc, char *argv[], const char *config);
int connect_main(int argc, char *argv[], const char *config);
int disconnect_main(int argc, char *argv[], const char *config);
int status_main(int argc, char *argv[], const char *config);
int events_main(int argc, char *argv[], const char *config);
int resync_main(int argc, char *argv[], const char *config);
int verify_main(int argc, char *argv[], const char *config);
int invalidate_main(int argc, char *argv[], const char *config);
int resume_io_main(int argc, char *argv[], const char *config);

#endif
