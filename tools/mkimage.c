/* mkimage: writes test and demo images without downloading anything.
 *
 *   mkimage FILE WIDTH HEIGHT [FILE WIDTH HEIGHT ...]
 *       photo-like noise and gradients (compresses like a photograph)
 *   mkimage --scene [--orientation N] [--camera] FILE WIDTH HEIGHT
 *       a picture with a subject (sky, sun, hills, a house), stored as a
 *       camera tagging orientation N would, with EXIF camera and GPS fields
 *       when --camera is given
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/lib/testutil.h"

static int usage(void)
{
    fprintf(stderr, "usage: mkimage FILE WIDTH HEIGHT [FILE WIDTH HEIGHT ...]\n"
                    "       mkimage --scene [--orientation N] [--camera] FILE WIDTH HEIGHT\n");
    return 2;
}

int main(int argc, char **argv)
{
    int scene = 0, orientation = 1, camera = 0, i = 1;

    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--scene") == 0)
            scene = 1;
        else if (strcmp(argv[i], "--camera") == 0)
            camera = 1;
        else if (strcmp(argv[i], "--orientation") == 0 && i + 1 < argc)
            orientation = atoi(argv[++i]);
        else
            return usage();
    }
    if (argc - i < 3 || (argc - i) % 3 != 0 || orientation < 1 || orientation > 8)
        return usage();
    for (; i + 2 < argc; i += 3) {
        int w = atoi(argv[i + 1]), h = atoi(argv[i + 2]);
        int rc = w < 1 || h < 1 ? -1
                 : scene        ? tu_make_scene(argv[i], w, h, orientation, camera)
                                : tu_make_image(argv[i], w, h);
        if (rc < 0) {
            fprintf(stderr, "mkimage: cannot write %s (%sx%s)\n", argv[i], argv[i + 1],
                    argv[i + 2]);
            return 1;
        }
    }
    return 0;
}
