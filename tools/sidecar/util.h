/* File reading, hex values and address parsing shared by the sidecar's modules. */
#ifndef SIDECAR_UTIL_H
#define SIDECAR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/error.h"

/* Longest path the sidecar builds from a folder and a file name, NUL included. */
#define SIDECAR_PATH_SIZE 4096

/*
 * Reads the whole file at path into a new buffer (freed with free()) with a
 * NUL after the last byte. what names the file in messages ("collateral
 * bundle"). Returns RATLS_ERR_IO when it cannot be read and
 * RATLS_ERR_LIMIT_EXCEEDED when it is larger than max_size.
 */
int sidecar_read_file(const char *path, size_t max_size, const char *what, uint8_t **data,
		      size_t *size, struct ratls_detail *detail);

/*
 * Decodes exactly size bytes of hex (either case, optional "0x") from text.
 * what names the value in messages ("--simulate-mrtd").
 */
int sidecar_parse_hex(const char *what, const char *text, uint8_t *out, size_t size,
		      struct ratls_detail *detail);

/*
 * Parses "HOST:PORT" (an IPv4 address, a bracketed IPv6 address or a host
 * name, and a port 0-65535; 0 lets the kernel pick a free port for a
 * listening socket) into host and port. host must hold SIDECAR_HOST_SIZE bytes.
 */
#define SIDECAR_HOST_SIZE 256
int sidecar_parse_host_port(const char *what, const char *text, char host[SIDECAR_HOST_SIZE],
			    uint16_t *port, struct ratls_detail *detail);

/* Unix seconds now (CLOCK_REALTIME). */
int64_t sidecar_now(void);

#endif
