/* How the commands report finished jobs: text lines for a person, or one
 * JSON line per job for log pipelines (CloudWatch Logs). */
#ifndef PIX_CORE_CMD_REPORT_H
#define PIX_CORE_CMD_REPORT_H

#include <stdbool.h>
#include "runner.h"

typedef struct pix_reporter {
    bool json;               /* one JSON line per job instead of text     */
    bool quiet;              /* text: failures only                       */
    bool progress;           /* text: a progress line on stderr           */
    const char *request_id;  /* JSON: the Lambda request, or NULL         */
    double t0;               /* pix_now_ms() when the run began           */
} pix_reporter;

/* A pix_job_done_fn; user is a pix_reporter (borrowed). */
void pix_report_job(const pix_job_done *done, void *user);

/* Prints one CloudWatch Embedded Metric Format line for a run of p that
 * took ms: metrics without an agent (Lambda, the SQS worker). */
void pix_report_metrics(const pix_pipeline *p, const pix_run_summary *sum, double ms);

/* Clears the progress line, if one is showing. */
void pix_report_end(const pix_reporter *r);

#endif
