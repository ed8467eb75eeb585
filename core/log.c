#include "log.h"

#include "err.h"

#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t term = PTHREAD_MUTEX_INITIALIZER;
static pix_log_level min_level = PIX_LOG_INFO;
static int progress_showing;

void pix_log_set_level(pix_log_level level) { min_level = level; }
pix_log_level pix_log_get_level(void) { return min_level; }
void pix_term_lock(void) { pthread_mutex_lock(&term); }
void pix_term_unlock(void) { pthread_mutex_unlock(&term); }
void pix_progress_set_showing(int showing) { progress_showing = showing; }

void pix_progress_clear_locked(void)
{
    if (progress_showing) {
        fputs("\r\033[K", stderr);
        progress_showing = 0;
    }
}

void pix_logv(pix_log_level level, const char *who, const char *fmt, va_list ap)
{
    static const char *const names[] = { "debug: ", "", "warning: ", "error: " };
    char line[4096];

    if (level < min_level)
        return;
    vsnprintf(line, sizeof line, fmt, ap);
    pix_term_lock();
    pix_progress_clear_locked();
    fprintf(stderr, "pixpipe: %s%s%s%s\n", names[level > 3 ? 3 : level], who ? who : "",
            who ? ": " : "", line);
    pix_term_unlock();
}

void pix_log(pix_log_level level, const char *who, const char *fmt, ...)
{
    PIX_WITH_VA(fmt, pix_logv(level, who, fmt, ap));
}
