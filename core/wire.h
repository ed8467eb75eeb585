/* Messages between the supervisor and its worker processes: one JSON
 * object per frame, a 4-byte little-endian length first, over a pipe. */
#ifndef PIX_CORE_WIRE_H
#define PIX_CORE_WIRE_H

#include <jansson.h>

/* Largest frame either side accepts: an outcome is a few KiB. */
#define PIX_WIRE_MAX (4u << 20)

/* Writes msg (borrowed) as one frame to fd, whole.  Returns 0, or -1 when
 * the other end is gone or msg cannot be written. */
int pix_wire_send(int fd, const json_t *msg);

/* Reads one frame from fd, blocking.  Returns the object (caller decrefs),
 * or NULL at end of file, on a read error or a malformed frame. */
json_t *pix_wire_recv(int fd);

#endif
