/* mkimage: writes photo-like test images (gradients plus noise) without
 * downloading anything.  usage: mkimage FILE WIDTH HEIGHT [FILE W H ...] */
#include <stdio.h>
#include <stdlib.h>

#include "../tests/unit/testutil.h"

int main(int argc, char **argv)
{
    if (argc < 4 || (argc - 1) % 3 != 0) {
        fprintf(stderr, "usage: mkimage FILE WIDTH HEIGHT [FILE WIDTH HEIGHT ...]\n");
        return 2;
    }
    for (int i = 1; i + 2 < argc; i += 3) {
        int w = atoi(argv[i + 1]), h = atoi(argv[i + 2]);
        if (w < 1 || h < 1 || tu_make_image(argv[i], w, h) < 0) {
            fprintf(stderr, "mkimage: cannot write %s (%sx%s)\n", argv[i], argv[i + 1], argv[i + 2]);
            return 1;
        }
    }
    return 0;
}
