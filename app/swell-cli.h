/* swell-cli.h: the headless command-line tool. Each command lives in its own
 * file (cli-<area>.c) and has this signature: argv[0] is the command name.
 * Return 0 on success; otherwise print one line "swell-cli: <reason>" on
 * stderr and return non-zero. */
#pragma once

typedef int (*SwellCliCommandFunc)(int argc, char **argv);

typedef struct {
  const char *name;
  const char *usage;   /* translatable, shown by `swell-cli help` */
  SwellCliCommandFunc func;
} SwellCliCommand;

/* Prints "swell-cli: " + message to stderr; returns 1. */
int swell_cli_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
