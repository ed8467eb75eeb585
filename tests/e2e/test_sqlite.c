/* metadata-sink + metadata-sqlite, end to end through the pixpipe binary:
 * the row written for an image (read back with the SQLite C API), the upsert
 * on a second run, a failed job's row, concurrent jobs, the table check. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

static void sq_write_pipeline(const char *dir, const char *metadata)
{
    char *yaml = tu_strf("name: sqlite-test\n"
                         "destination: { storage: fs, root: ./out, key: \"{dir}/{name}-{rendition}.{ext}\" }\n"
                         "metadata: %s\n"
                         "output: { rendition: main, format: jpeg, quality: 80 }\n"
                         "stages:\n"
                         "  - resize: { width: 320, height: 320 }\n"
                         "  - metadata-sink: {}\n",
                         metadata);
    char *path = tu_strf("%s/pipe.yaml", dir);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    free(yaml);
    free(path);
}

static int sq_run(const char *dir, const char *args, char **out, char **err)
{
    return tu_runf(out, err, "cd '%s' && '%s' run -p pipe.yaml %s", dir, tu_pixpipe(), args);
}

static sqlite3 *sq_open(const char *dir)
{
    char *path = tu_strf("%s/out/metadata.db", dir);
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK,
                 "cannot open %s", path);
    free(path);
    return db;
}

static int64_t sq_count(sqlite3 *db, const char *where)
{
    char *sql = tu_strf("SELECT COUNT(*) FROM images %s", where);
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s",
                 sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    free(sql);
    return n;
}

static long sq_file_size(const char *dir, const char *rel)
{
    char *p = tu_strf("%s/%s", dir, rel);
    struct stat sb;
    cr_assert_eq(stat(p, &sb), 0, "missing %s", p);
    free(p);
    return (long)sb.st_size;
}

static const char *sq_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "(null)";
}

Test(sqlite, row_holds_record_and_upsert_keeps_one)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *img = tu_strf("%s/a.jpg", dir);
    cr_assert_eq(tu_make_image(img, 640, 480), 0);
    sq_write_pipeline(dir, "{ backend: sqlite, path: ./out/metadata.db }");

    int rc = sq_run(dir, "a.jpg", &out, &err);
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    free(out);
    free(err);

    sqlite3 *db = sq_open(dir);
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT status, width, height, format, renditions, source_key, "
                                    "source_bytes, pipeline, error, updated_at, "
                                    "json_extract(record, '$.renditions[0].key'), "
                                    "json_extract(record, '$.renditions[0].bytes'), "
                                    "json_extract(record, '$.renditions[0].width'), "
                                    "json_extract(record, '$.renditions[0].height'), "
                                    "json_extract(record, '$.source_key') FROM images",
                                    -1, &st, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no row written");
    cr_assert_str_eq(sq_text(st, 0), "ok");
    cr_assert_eq(sqlite3_column_int(st, 1), 640);
    cr_assert_eq(sqlite3_column_int(st, 2), 480);
    cr_assert_str_eq(sq_text(st, 3), "jpeg");
    cr_assert_eq(sqlite3_column_int(st, 4), 1);
    cr_assert_str_eq(sq_text(st, 5), "a.jpg");
    cr_assert_eq(sqlite3_column_int64(st, 6), sq_file_size(dir, "a.jpg"));
    cr_assert_str_eq(sq_text(st, 7), "sqlite-test");
    cr_assert_eq(sqlite3_column_type(st, 8), SQLITE_NULL, "error set on an ok job: %s",
                 sq_text(st, 8));
    cr_assert(strlen(sq_text(st, 9)) == 24 && sq_text(st, 9)[23] == 'Z', "updated_at %s",
              sq_text(st, 9));
    cr_assert_str_eq(sq_text(st, 10), "a-main.jpg");
    cr_assert_eq(sqlite3_column_int64(st, 11), sq_file_size(dir, "out/a-main.jpg"));
    cr_assert_eq(sqlite3_column_int(st, 12), 320);
    cr_assert_eq(sqlite3_column_int(st, 13), 240);
    cr_assert_str_eq(sq_text(st, 14), "a.jpg");
    cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "more than one row");
    sqlite3_finalize(st);
    sqlite3_close(db);

    /* A second run replaces the row rather than adding one. */
    rc = sq_run(dir, "a.jpg", &out, &err);
    cr_assert_eq(rc, 0, "second run: exit %d\n%s%s", rc, out, err);
    db = sq_open(dir);
    cr_assert_eq(sq_count(db, ""), 1);
    cr_assert_eq(sq_count(db, "WHERE status = 'ok'"), 1);
    sqlite3_close(db);
    free(out);
    free(err);
    free(img);
    tu_rmrf(dir);
    free(dir);
}

Test(sqlite, failed_job_gets_row_with_error)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *bad = tu_strf("%s/bad.jpg", dir);
    /* A JPEG signature followed by junk: recognised as JPEG, undecodable. */
    static const char junk[] = "\xff\xd8\xff\xe0 this is not the rest of a JPEG file at all";
    cr_assert_eq(tu_write_file(bad, junk, sizeof junk - 1), 0);
    sq_write_pipeline(dir, "{ backend: sqlite, path: ./out/metadata.db }");

    int rc = sq_run(dir, "bad.jpg", &out, &err);
    cr_assert_neq(rc, 0, "a corrupt file did not fail\n%s%s", out, err);
    cr_assert(strstr(out, "0 processed, 1 failed, 0 skipped"), "stdout: %s", out);

    sqlite3 *db = sq_open(dir);
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT status, error, renditions, source_key, "
                                    "json_extract(record, '$.error') FROM images",
                                    -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no row for the failed job");
    cr_assert_str_eq(sq_text(st, 0), "failed");
    cr_assert(sqlite3_column_type(st, 1) == SQLITE_TEXT && strlen(sq_text(st, 1)) > 0,
              "no error text");
    cr_assert_eq(sqlite3_column_int(st, 2), 0);
    cr_assert_str_eq(sq_text(st, 3), "bad.jpg");
    cr_assert_str_eq(sq_text(st, 4), sq_text(st, 1));
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(bad);
    free(out);
    free(err);
    tu_rmrf(dir);
    free(dir);
}

Test(sqlite, concurrent_jobs_each_get_a_row, .timeout = 120)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *in = tu_strf("%s/in", dir);
    cr_assert_eq(mkdir(in, 0755), 0);
    for (int i = 0; i < 8; i++) {
        char *p = tu_strf("%s/img%d.png", in, i);
        cr_assert_eq(tu_make_image(p, 300 + i, 200), 0);
        free(p);
    }
    sq_write_pipeline(dir, "{ backend: sqlite, path: ./out/db/metadata.db }");

    int rc = sq_run(dir, "-j 4 in", &out, &err);
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    cr_assert(strstr(out, "8 processed, 0 failed, 0 skipped"), "stdout: %s", out);

    char *path = tu_strf("%s/out/db/metadata.db", dir);
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sq_count(db, "WHERE status = 'ok' AND renditions = 1 AND format = 'png'"), 8);
    sqlite3_close(db);
    free(path);
    free(in);
    free(out);
    free(err);
    tu_rmrf(dir);
    free(dir);
}

Test(sqlite, table_name_must_be_identifier)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *img = tu_strf("%s/a.png", dir);
    cr_assert_eq(tu_make_image(img, 32, 32), 0);
    sq_write_pipeline(dir, "{ backend: sqlite, path: ./out/metadata.db, table: \"x; DROP\" }");
    int rc = sq_run(dir, "a.png", &out, &err);
    cr_assert_neq(rc, 0, "a bad table name was accepted");
    cr_assert(strstr(err, "x; DROP") && strstr(err, "identifier"), "stderr: %s", err);
    free(img);
    free(out);
    free(err);
    tu_rmrf(dir);
    free(dir);
}
