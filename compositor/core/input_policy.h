/* Connects the seat (mechanism: hotkey filter, routing) to the server
 * (policy: what a hotkey does, where a domain lies, how a guest is told). */
#ifndef TSR_CORE_INPUT_POLICY_H
#define TSR_CORE_INPUT_POLICY_H

struct tsr_server;
struct tsr_seat;

/* Creates the seat for the server's configured hotkeys and attaches it
 * (tsr_server_attach_seat); the server keeps it informed of focus and
 * layout. */
struct tsr_seat *tsr_input_policy_create_seat(struct tsr_server *server);

#endif
