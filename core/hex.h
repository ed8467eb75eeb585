/* One hex digit's value, for the places that read %XX escapes. */
#ifndef PIX_CORE_HEX_H
#define PIX_CORE_HEX_H

/* The value of hex digit c (either case), or -1 when c is not one. */
int pix_hex_digit(char c);

#endif
