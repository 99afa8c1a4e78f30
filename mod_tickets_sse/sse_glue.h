/* sse_glue.h: what every httpd glue file of mod_tickets_sse starts from.
 *
 * The glue is everything under mod_tickets_sse/ outside lib/: the module
 * record (mod_tickets_sse.c) and the areas config/, shm/ (the shared
 * segment), stream/ (the two paths a stream takes), status/ (figures) and
 * handlers/ (the endpoints), each with one header; an area includes only
 * the headers of areas before it in that list.  APLOG_USE_MODULE is
 * declared once, here.
 */
#ifndef SSE_GLUE_H
#define SSE_GLUE_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

APLOG_USE_MODULE(tickets_sse);
extern module AP_MODULE_DECLARE_DATA tickets_sse_module;

#endif
