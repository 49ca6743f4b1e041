/* Shader sources and their compilation for render_gles.c. Colours and
 * texels are in the byte order of the CPU buffers (B, G, R, A in r, g, b,
 * a): uploads and read-backs are plain GL_RGBA bytes, so no swizzle and no
 * BGRA extension is needed anywhere, and blending is per channel. */
#include <stdio.h>

#include "render/gles_shaders.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

static const char vertex_source[] =
    "attribute vec2 position;\n"
    "uniform vec2 target_size;\n"
    "uniform vec2 map_scale;\n"
    "uniform vec2 map_offset;\n"
    "varying vec2 coord;\n"
    "void main() {\n"
    "  coord = position * map_scale + map_offset;\n"
    "  gl_Position = vec4(position / target_size * 2.0 - 1.0, 0.0, 1.0);\n"
    "}\n";

static const char solid_source[] = "precision mediump float;\n"
				   "uniform vec4 color;\n"
				   "void main() { gl_FragColor = color; }\n";

static const char mask_source[] =
    "precision highp float;\n"
    "uniform vec4 color;\n"
    "uniform sampler2D source;\n"
    "uniform vec2 texture_size;\n"
    "varying vec2 coord;\n"
    "void main() {\n"
    "  gl_FragColor = color * texture2D(source, coord / texture_size).a;\n"
    "}\n";

/* Clamping to the centres of the uploaded rectangle's edge texels is
 * pixman's PAD repeat for a bilinear filter (and a no-op for 1:1 draws,
 * which sample texel centres). */
static const char texture_source[] =
    "precision highp float;\n"
    "uniform sampler2D source;\n"
    "uniform vec2 texture_size;\n"
    "uniform vec2 clamp_low;\n"
    "uniform vec2 clamp_high;\n"
    "uniform float opaque;\n"
    "varying vec2 coord;\n"
    "void main() {\n"
    "  vec4 texel = texture2D(source, clamp(coord, clamp_low, clamp_high) / texture_size);\n"
    "  gl_FragColor = vec4(texel.rgb, mix(texel.a, 1.0, opaque));\n"
    "}\n";

/* One output texel per block x block texels of the source grid (coord is
 * the output texel's centre in output texels); a block cut by the
 * uploaded extent averages what it has, as box_reduce in render_pixman.c.
 * Premultiplied channels average exactly. */
static const char reduce_source[] =
    "precision highp float;\n"
    "uniform sampler2D source;\n"
    "uniform vec2 texture_size;\n"
    "uniform vec2 block;\n"
    "uniform vec2 extent;\n"
    "varying vec2 coord;\n"
    "void main() {\n"
    "  vec2 start = floor(coord) * block;\n"
    "  vec2 count = min(block, extent - start);\n"
    "  vec4 sum = vec4(0.0);\n"
    "  for (int j = 0; j < " STRINGIFY(
	TSR_GLES_REDUCE_MAX) "; j++) {\n"
			     "    if (float(j) >= count.y) break;\n"
			     "    for (int i = 0; i < " STRINGIFY(
				 TSR_GLES_REDUCE_MAX) "; i++) {\n"
						      "      if (float(i) >= count.x) break;\n"
						      "      sum += texture2D(source, (start + "
						      "vec2(float(i), float(j)) + 0.5) / "
						      "texture_size);\n"
						      "    }\n"
						      "  }\n"
						      "  gl_FragColor = sum / (count.x * "
						      "count.y);\n"
						      "}\n";

static GLuint compile(GLenum type, const char *source, char *err, size_t err_len)
{
	GLuint shader = glCreateShader(type);
	if (!shader) {
		snprintf(err, err_len, "glCreateShader failed");
		return 0;
	}
	glShaderSource(shader, 1, &source, NULL);
	glCompileShader(shader);
	GLint ok = GL_FALSE;
	glGetShaderiv(shader, GL_COMPILE_STATUS, &ok);
	if (!ok) {
		char log[256] = "";
		glGetShaderInfoLog(shader, sizeof(log), NULL, log);
		snprintf(err, err_len, "shader does not compile: %s", log);
		glDeleteShader(shader);
		return 0;
	}
	return shader;
}

static bool link_program(struct tsr_gles_program *program, const char *fragment_source, char *err,
			 size_t err_len)
{
	GLuint vertex = compile(GL_VERTEX_SHADER, vertex_source, err, err_len);
	if (!vertex)
		return false;
	GLuint fragment = compile(GL_FRAGMENT_SHADER, fragment_source, err, err_len);
	if (!fragment) {
		glDeleteShader(vertex);
		return false;
	}
	program->program = glCreateProgram();
	glAttachShader(program->program, vertex);
	glAttachShader(program->program, fragment);
	glBindAttribLocation(program->program, 0, "position");
	glLinkProgram(program->program);
	/* The program keeps them; flagged for deletion with it. */
	glDeleteShader(vertex);
	glDeleteShader(fragment);
	GLint ok = GL_FALSE;
	glGetProgramiv(program->program, GL_LINK_STATUS, &ok);
	if (!ok) {
		char log[256] = "";
		glGetProgramInfoLog(program->program, sizeof(log), NULL, log);
		snprintf(err, err_len, "program does not link: %s", log);
		glDeleteProgram(program->program);
		program->program = 0;
		return false;
	}
	GLuint id = program->program;
	program->position = glGetAttribLocation(id, "position");
	program->target_size = glGetUniformLocation(id, "target_size");
	program->map_scale = glGetUniformLocation(id, "map_scale");
	program->map_offset = glGetUniformLocation(id, "map_offset");
	program->texture = glGetUniformLocation(id, "source");
	program->texture_size = glGetUniformLocation(id, "texture_size");
	program->clamp_low = glGetUniformLocation(id, "clamp_low");
	program->clamp_high = glGetUniformLocation(id, "clamp_high");
	program->color = glGetUniformLocation(id, "color");
	program->opaque = glGetUniformLocation(id, "opaque");
	program->block = glGetUniformLocation(id, "block");
	program->extent = glGetUniformLocation(id, "extent");
	return true;
}

bool tsr_gles_programs_create(struct tsr_gles_program programs[TSR_GLES_PROGRAM_COUNT], char *err,
			      size_t err_len)
{
	static const char *const sources[TSR_GLES_PROGRAM_COUNT] = {
	    [TSR_GLES_SOLID] = solid_source,
	    [TSR_GLES_MASK] = mask_source,
	    [TSR_GLES_TEXTURE] = texture_source,
	    [TSR_GLES_REDUCE] = reduce_source,
	};
	for (int i = 0; i < TSR_GLES_PROGRAM_COUNT; i++)
		programs[i] = (struct tsr_gles_program){0};
	for (int i = 0; i < TSR_GLES_PROGRAM_COUNT; i++) {
		if (!link_program(&programs[i], sources[i], err, err_len)) {
			tsr_gles_programs_destroy(programs);
			return false;
		}
	}
	return true;
}

void tsr_gles_programs_destroy(struct tsr_gles_program programs[TSR_GLES_PROGRAM_COUNT])
{
	for (int i = 0; i < TSR_GLES_PROGRAM_COUNT; i++) {
		if (programs[i].program)
			glDeleteProgram(programs[i].program);
		programs[i].program = 0;
	}
}
