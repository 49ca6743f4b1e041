/* data/tessera.conf, embedded at build time: the demo's default. */
#include "default_config.h"

__asm__(".section .rodata\n"
	".global tsr_default_config_text\n"
	".type tsr_default_config_text, @object\n"
	"tsr_default_config_text:\n"
	".incbin \"" TSR_SOURCE_ROOT "/data/tessera.conf\"\n"
	".byte 0\n"
	".previous\n");
