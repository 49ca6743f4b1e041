/* The pointer's geometry for the seat (core/pointer_policy.c). */
#ifndef TSR_CORE_POINTER_POLICY_H
#define TSR_CORE_POINTER_POLICY_H

#include <stdint.h>

struct tsr_server;

/* The domain under (x, y) (global layout space), with the point in its
 * content coordinates, or -1. */
int tsr_pointer_pick_domain(struct tsr_server *server, int32_t x, int32_t y, int32_t *local_x,
			    int32_t *local_y);
/* Sends motion at (local_x, local_y) of domain's content to the guest: to
 * the surface or display under it, through its agent or PV device. */
void tsr_pointer_deliver_motion(struct tsr_server *server, int domain, int32_t local_x,
				int32_t local_y, uint64_t time_ns);
/* Keeps a pointer that moves to (x, y) on the outputs (core/arrangement.h). */
void tsr_pointer_constrain(struct tsr_server *server, int32_t *x, int32_t *y);

#endif
