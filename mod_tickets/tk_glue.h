/* tk_glue.h: what every httpd glue file of mod_tickets starts from.
 *
 * The glue is everything under mod_tickets/ outside lib/: the module
 * record (mod_tickets.c) and the areas config/, request/, events/, auth/,
 * work/ and handlers/, each with one header.  An area includes only the
 * headers of the areas below it (docs/layout.md draws the order); this
 * header is below them all.  APLOG_USE_MODULE is declared once, here, so
 * every log line of every glue file is tagged with the module.
 */
#ifndef TK_GLUE_H
#define TK_GLUE_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

APLOG_USE_MODULE(tickets);
extern module AP_MODULE_DECLARE_DATA tickets_module;

#endif
