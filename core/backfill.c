/*
 * Backfills.  The listing and the jobs take turns: one page of at most
 * 1000 keys is listed, filtered into inputs and run, then the next page is
 * listed.  A page's jobs run side by side (-j N); only the last jobs of a
 * page wait for the slowest one, a small cost beside processing 1000
 * images, and in exchange the run never holds more than one page of keys,
 * for 100 or 100 million objects.
 *
 * The listing runs in the process that hands out the jobs (the pool's
 * supervisor), which reads no upload: list() returns keys and ETags only.
 */
#include "backfill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inputs.h"
#include "job.h"

bool pix_backfill_possible(const pix_pipeline *p)
{
    return p->source->storage->list != NULL;
}

/* The literal start of the key template, before its first placeholder:
 * every rendition's key begins with it ("thumbs/" for
 * "thumbs/{dir}/{name}.{ext}"; "" when the template starts with one). */
static size_t template_prefix_len(const char *tmpl)
{
    const char *brace = strchr(tmpl, '{');
    return brace ? (size_t)(brace - tmpl) : strlen(tmpl);
}

typedef struct lister {
    const pix_pipeline *p;
    const char *bucket;
    bool s3;
    bool trigger_applies;   /* bucket is the trigger's                    */
    const char *own_prefix; /* keys under it are ours; NULL: none known   */
    size_t own_len;
    pix_inputs page;
    pix_backfill_summary *sum;
    pix_err *err;
} lister;

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static int on_entry(void *user, const pix_object_entry *e)
{
    lister *l = user;
    const pix_pipeline *p = l->p;

    l->sum->listed++;
    if ((l->trigger_applies &&
         (strncmp(e->key, p->trigger_prefix, strlen(p->trigger_prefix)) != 0 ||
          !ends_with(e->key, p->trigger_suffix))) ||
        (l->own_prefix && strncmp(e->key, l->own_prefix, l->own_len) == 0)) {
        l->sum->passed_over++;
        return 0;
    }
    return pix_inputs_add_listed(&l->page, l->bucket, e->key, e->etag, l->s3, l->err);
}

/* Renumbers a page's job for the whole run before the command sees it. */
static void relay_done(const pix_job_done *d, void *user)
{
    const pix_pager *pg = user;
    pix_job_done whole = *d;
    whole.done = pg->base + d->done;
    whole.total = pg->seen;
    whole.listing = true;
    if (pg->outer->on_done)
        pg->outer->on_done(&whole, pg->outer->user);
}

void pix_run_summary_add(pix_run_summary *to, const pix_run_summary *from)
{
    to->ok += from->ok;
    to->failed += from->failed;
    to->skipped += from->skipped;
    to->up_to_date += from->up_to_date;
    to->not_started += from->not_started;
    to->bytes_in += from->bytes_in;
    to->bytes_out += from->bytes_out;
}

void pix_pager_init(pix_pager *pg, const pix_run_opts *opts)
{
    memset(pg, 0, sizeof *pg);
    pg->outer = opts;
    pg->page_opts = *opts;
    pg->page_opts.on_done = relay_done;
    pg->page_opts.user = pg;
    pg->page_opts.results = NULL;
}

void pix_pager_run(pix_pager *pg, const pix_pipeline *p, pix_inputs *page, size_t seen)
{
    pix_run_summary page_sum;
    pg->seen = seen;
    if (page->n && !(pg->outer->stop && *pg->outer->stop)) {
        pix_run(p, page, &pg->page_opts, &page_sum);
        pix_run_summary_add(&pg->sum, &page_sum);
        pg->base += page->n;
    }
    pix_inputs_truncate(page, 0);
}

int pix_backfill(const pix_pipeline *p, const char *bucket, const char *prefix,
                 const pix_run_opts *opts, pix_backfill_summary *sum, pix_err *err)
{
    const pix_instance *src = p->source;
    char token[PIX_LIST_TOKEN_MAX] = "", next[PIX_LIST_TOKEN_MAX];
    lister l = { .p = p, .bucket = bucket, .s3 = !pix_serves(src, PIX_SCHEME_FILE), .sum = sum,
                 .err = err };
    pix_pager pg;
    pix_job *listing = NULL;
    int rc = -1;

    memset(sum, 0, sizeof *sum);
    l.trigger_applies = p->trigger_bucket && strcmp(p->trigger_bucket, bucket) == 0;
    size_t own = template_prefix_len(p->key_template);
    if (p->dest_bucket && strcmp(p->dest_bucket, bucket) == 0 && own > 0) {
        l.own_prefix = p->key_template;
        l.own_len = own;
    }
    pix_pager_init(&pg, opts);
    if (!(listing = pix_job_new(p, bucket, prefix))) {
        pix_err_set(err, "out of memory");
        goto out;
    }
    do {
        if (opts->stop && *opts->stop)
            break;
        double t0 = pix_now_ms();
        err->msg[0] = '\0';
        int got = src->storage->list(&src->ctx, listing, bucket, prefix, token, on_entry, &l,
                                     next);
        sum->list_ms += pix_now_ms() - t0;
        if (got < 0) {
            if (!err->msg[0])
                pix_err_set(err, "cannot list %s%s/%s: %s", l.s3 ? "s3://" : "", bucket, prefix,
                            listing->reason && *listing->reason ? listing->reason
                                                                : "no reason given");
            goto out;
        }
        sum->pages++;
        pix_pager_run(&pg, p, &l.page, sum->listed);
        sum->run = pg.sum;
        snprintf(token, sizeof token, "%s", next);
    } while (token[0]);
    rc = 0;
out:
    pix_inputs_free(&l.page);
    pix_job_free(listing);
    return rc;
}
