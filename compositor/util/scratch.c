#include "util/scratch.h"

#include <stdlib.h>

bool tsr_scratch_grow(uint8_t **memory, size_t *capacity, size_t size)
{
	if (size <= *capacity)
		return true;
	uint8_t *grown = realloc(*memory, size);
	if (!grown)
		return false;
	*memory = grown;
	*capacity = size;
	return true;
}
