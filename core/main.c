/* pixpipe command line: run, validate, plugins. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include <pixpipe/pixpipe.h>

#include "commands.h"

static void usage(FILE *to)
{
    fputs("usage: pixpipe COMMAND [OPTIONS] ...\n"
          "\n"
          "commands:\n"
          "  run [-p PIPELINE] [-j N] [--dry-run] [--only-stale] [-q] [-v] INPUT...\n"
          "        process image files and folders (recursed) through the pipeline,\n"
          "        -j at once (default: one per core, at most 4);\n"
          "        ends with 'N processed, N failed, N skipped'; exit status 0 only\n"
          "        when no image failed\n"
          "  validate [-p PIPELINE]\n"
          "        check a pipeline file and the plugins it names\n"
          "  plugins [NAME]\n"
          "        list the installed plugins, or document one plugin's options\n"
          "  lambda [-p PIPELINE] [-j N]\n"
          "        serve AWS Lambda invocations (also as `bootstrap`, or with\n"
          "        AWS_LAMBDA_RUNTIME_API set and no command)\n"
          "  watch [-p PIPELINE] [-j N] [DIR]\n"
          "        process files as they are written into a folder (inotify), after\n"
          "        catching up with what changed while pixpipe was not watching\n"
          "  worker --queue URL [-p PIPELINE] [-j N]\n"
          "        long-poll an SQS queue of S3 events and process them (fleets\n"
          "        outside Lambda); SIGTERM drains\n"
          "\n"
          "The pipeline is -p FILE, else $PIXPIPE_PIPELINE, else the embedded default\n"
          "(pipelines/default.yaml: files in, ./out/ and ./out/metadata.db out).\n"
          "Plugins are found in $PIXPIPE_PLUGIN_PATH (colon-separated), then beside\n"
          "the binary.\n"
          "\n"
          "  -h, --help     this help\n"
          "  --version      print the version and ABI\n",
          to);
}

int main(int argc, char **argv)
{
    /* As a Lambda custom runtime the binary is started as `bootstrap`, or
     * with AWS_LAMBDA_RUNTIME_API set and no command. */
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (strcmp(base, "bootstrap") == 0 || (argc < 2 && api && *api)) {
        signal(SIGPIPE, SIG_IGN);
        return pix_cmd_lambda(argc, argv);
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("pixpipe %s (plugin ABI %d.%d, libvips %s)\n", PIX_VERSION, PIX_ABI_MAJOR,
               PIX_ABI_MINOR, vips_version_string());
        return 0;
    }
    /* A closed stdout pipe must not kill a run half-way through a write. */
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(cmd, "run") == 0)
        return pix_cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "validate") == 0)
        return pix_cmd_validate(argc - 1, argv + 1);
    if (strcmp(cmd, "plugins") == 0)
        return pix_cmd_plugins(argc - 1, argv + 1);
    if (strcmp(cmd, "lambda") == 0)
        return pix_cmd_lambda(argc - 1, argv + 1);
    if (strcmp(cmd, "worker") == 0)
        return pix_cmd_worker(argc - 1, argv + 1);
    if (strcmp(cmd, "watch") == 0)
        return pix_cmd_watch(argc - 1, argv + 1);
    fprintf(stderr, "pixpipe: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
