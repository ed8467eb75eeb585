/* Inputs the fuzz targets of tests/fuzz found crashing or breaking a
 * promise, each fed to the same entry point (docs/testing.md).  A new
 * finding gets its test here: the input as the target read it, and what
 * the entry point must do with it. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

/* fuzz_record: "iu\xd7o" is rec_set_int with a key that is not UTF-8.
 * jansson's json_object_set_new() released the value when it refused the
 * key, and record.c released it again: a double free (heap-use-after-free
 * under ASan) in every setter, and in rec_object/rec_append. */
Test(fuzz_regressions, record_key_not_utf8_is_not_freed_twice)
{
    pix_record *rec = pix_record_new();
    int64_t i;

    pix_rec_set_int(rec, "u\xd7o", 1);
    pix_rec_set_str(rec, "u\xd7o", "x");
    pix_rec_set_num(rec, "u\xd7o", 1.5);
    pix_rec_set_bool(rec, "u\xd7o", true);
    cr_expect_null(pix_rec_object(rec, "u\xd7o"));
    cr_expect_null(pix_rec_append(rec, "u\xd7o"));
    pix_rec_append_str(rec, "u\xd7o", "x");
    cr_expect_eq(pix_rec_get_int(rec, "u\xd7o", &i), -1);
    char *json = pix_rec_to_json(rec);
    cr_expect_str_eq(json, "{}");
    free(json);
    pix_record_free(rec);
}

/* fuzz_record: "skey\0aws:s3\0skey\0a\x8dws:s3\0" (the stray byte varied)
 * set a value and then one that is not UTF-8: json_string() refused the
 * second and the first stayed, though setting a key replaces it.  Likewise
 * a NaN after a number. */
Test(fuzz_regressions, record_set_replaces_even_with_bytes_json_cannot_hold)
{
    pix_record *rec = pix_record_new();
    const char *s = NULL;
    double d;

    pix_rec_set_str(rec, "key", "aws:s3");
    pix_rec_set_str(rec, "key", "a\x8dws:s3");
    cr_assert_eq(pix_rec_get_str(rec, "key", &s), 0);
    cr_expect_str_eq(s, "a\xef\xbf\xbdws:s3"); /* U+FFFD for the stray byte */
    pix_rec_append_str(rec, "list", "\xff\xc3\xa9\xed\xa0\x80");
    pix_rec_set_num(rec, "n", 2.5);
    pix_rec_set_num(rec, "n", NAN);
    cr_expect_eq(pix_rec_get_num(rec, "n", &d), -1);
    char *json = pix_rec_to_json(rec);
    /* a surrogate (ED A0 80) is three bad bytes, an é stays */
    cr_expect_str_eq(json, "{\"key\":\"a\xef\xbf\xbdws:s3\",\"list\":[\"\xef\xbf\xbd\xc3\xa9"
                           "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"],\"n\":null}");
    json_t *back = json_loads(json, 0, NULL);
    cr_expect_not_null(back, "not JSON: %s", json);
    json_decref(back);
    free(json);
    pix_record_free(rec);
}
