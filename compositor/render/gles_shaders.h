/* The GLES renderer's programs (GLSL ES 1.00). Every program takes the
 * quad's corners in target pixels ("position") and maps them to texel
 * coordinates of its source with coord = position * map_scale +
 * map_offset, so fragment centres sample where pixman's transforms do. */
#ifndef TSR_RENDER_GLES_SHADERS_H
#define TSR_RENDER_GLES_SHADERS_H

#include <GLES2/gl2.h>
#include <stdbool.h>
#include <stddef.h>

enum tsr_gles_program_kind {
	TSR_GLES_SOLID,	  /* color */
	TSR_GLES_MASK,	  /* color x the alpha texture's coverage */
	TSR_GLES_TEXTURE, /* a texture, coordinates clamped (PAD), alpha forced if opaque */
	TSR_GLES_REDUCE,  /* block averages of block x block texels */
	TSR_GLES_PROGRAM_COUNT,
};

/* Locations of one program's inputs; -1 where it has none. */
struct tsr_gles_program {
	GLuint program;
	GLint position;					    /* attribute */
	GLint target_size, map_scale, map_offset;	    /* vec2 */
	GLint texture, texture_size, clamp_low, clamp_high; /* sampler, vec2 x3 */
	GLint color;					    /* vec4 */
	GLint opaque;					    /* float */
	GLint block, extent; /* vec2: reduce factor, texels uploaded */
};

/* The largest block (per direction) TSR_GLES_REDUCE averages: GLSL ES 1.00
 * loops need constant bounds. */
#define TSR_GLES_REDUCE_MAX 32

bool tsr_gles_programs_create(struct tsr_gles_program programs[TSR_GLES_PROGRAM_COUNT], char *err,
			      size_t err_len);
void tsr_gles_programs_destroy(struct tsr_gles_program programs[TSR_GLES_PROGRAM_COUNT]);

#endif
