/* --log-input: one line per input event on stdout, in a fixed format that
 * tests parse:
 *   input key CODE pressed|released|repeat
 *   input motion X Y
 *   input button CODE pressed|released
 *   input axis AXIS VALUE
 *   input focus-in N K1 K2 ...
 *   input focus-out */
#ifndef TESSERA_AGENT_INPUT_LOG_H
#define TESSERA_AGENT_INPUT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <tessera/protocol.h>

/* Formats msg as one line (no newline); false if msg is not an input event
 * or line is too small. */
bool input_log_format(const struct tsr_msg *msg, char *line, size_t len);

/* Writes the line for msg to out and flushes it: tests read it live. */
void input_log_write(FILE *out, const struct tsr_msg *msg);

#endif
