#include <stdio.h>
#include <string.h>

#include "pci_address.h"

static bool lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool tsr_pci_address_valid(const char *text)
{
	static const char pattern[] = "hhhh:hh:hh.f";
	if (!text || strlen(text) != sizeof(pattern) - 1)
		return false;
	for (size_t i = 0; pattern[i]; i++) {
		char p = pattern[i], c = text[i];
		if (p == 'h' ? !lower_hex(c) : p == 'f' ? !(c >= '0' && c <= '7') : c != p)
			return false;
	}
	unsigned int slot;
	return sscanf(text + 8, "%2x", &slot) == 1 && slot <= 0x1f;
}
