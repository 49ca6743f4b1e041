/* Scratch memory that grows to the largest use and is kept: the renderers'
 * conversion and read-back rows, sized per draw, freed with their owner. */
#ifndef TSR_UTIL_SCRATCH_H
#define TSR_UTIL_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Grows *memory to at least size bytes (contents kept); false, with memory
 * and capacity unchanged, when out of memory. */
bool tsr_scratch_grow(uint8_t **memory, size_t *capacity, size_t size);

#endif
