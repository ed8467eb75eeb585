/* Error text stays one line: what plugins pass (often libvips' error
 * buffer, which ends with a newline) must not break a log line or a JSON
 * reason. */
#include <criterion/criterion.h>
#include <vips/vips.h>

#include "err.h"

Test(err, one_line_joins_lines_and_drops_the_trailing_break)
{
    char buf[64];
    cr_expect_str_eq(pix_one_line("cannot do it: VipsJpeg: out of order read\n", buf, sizeof buf),
                     "cannot do it: VipsJpeg: out of order read");
    cr_expect_str_eq(pix_one_line("first\nsecond\r\nthird\n\n", buf, sizeof buf),
                     "first; second; third");
    cr_expect_str_eq(pix_one_line("", buf, sizeof buf), "");
    /* truncated to fit, still terminated */
    char small[8];
    cr_expect_str_eq(pix_one_line("abcdefghijkl", small, sizeof small), "abcde");
}

Test(err, libvips_errors_come_back_as_one_line_and_are_cleared)
{
    char buf[256];
    cr_assert_eq(VIPS_INIT("test"), 0);
    vips_error("VipsForeignLoad", "%s", "\"x.jpg\" is not a known file format");
    vips_error("VipsThumbnail", "%s", "no loader");
    cr_expect_str_eq(pix_vips_error(buf, sizeof buf),
                     "VipsForeignLoad: \"x.jpg\" is not a known file format; VipsThumbnail: no loader");
    cr_expect_str_eq(vips_error_buffer(), "");
    /* an empty buffer says so, never "unknown libvips error" */
    cr_expect_str_eq(pix_vips_error(buf, sizeof buf), "no reason given by libvips");
}
