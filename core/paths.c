#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pix_exe_dir(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0 || (size_t)n >= size - 1)
        return -1;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        return -1;
    if (slash == buf)
        slash[1] = '\0';
    else
        *slash = '\0';
    return 0;
}

char *pix_path_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    char *s = NULL;
    if (asprintf(&s, "%s%s%s", a, la && a[la - 1] == '/' ? "" : "/", b) < 0)
        return NULL;
    return s;
}

int pix_mkdirs(const char *dir)
{
    char *copy = strdup(dir);
    int rc = -1;

    if (!copy)
        return -1;
    for (char *p = copy + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(copy, 0755) < 0 && errno != EEXIST)
                goto out;
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    struct stat st;
    if (stat(dir, &st) < 0)
        goto out;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        goto out;
    }
    rc = 0;
out:
    free(copy);
    return rc;
}
