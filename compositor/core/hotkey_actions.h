/* What a secure hotkey does (core/hotkey_actions.c). */
#ifndef TSR_CORE_HOTKEY_ACTIONS_H
#define TSR_CORE_HOTKEY_ACTIONS_H

#include "tessera/config.h"

struct tsr_server;

/* Carries out action (argument: the domain number of a focus action) on
 * the output under the pointer. */
void tsr_hotkey_action_run(struct tsr_server *server, enum tsr_action action, int argument);

#endif
