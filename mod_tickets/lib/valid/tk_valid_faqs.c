/* tk_valid_faqs.c: what staff may send to /api/faqs, and the article a
 * ticket links (see tk_valid_faqs.h). */
#include <string.h>
#include "valid/tk_valid_faqs.h"
#include "valid/tk_query.h"

const char *const tk_faq_statuses[] = { "draft", "published", NULL };

int tk_valid_faq(apr_pool_t *p, const json_t *body, int create,
                 tk_faq_input_t *in, tk_err_t *err)
{
    static const char *const fields[] = {
        "title", "body", "category", "tags", "status", NULL
    };

    memset(in, 0, sizeof(*in));
    if (tk_only_fields(body, fields, err)) {
        return -1;
    }
    if (!create && json_object_size(body) == 0) {
        return tk_err(err, TK_E_VALIDATION, NULL,
                      "Give at least one field to change.");
    }
    if (tk_read_opt_string(p, body, "title", create, 0, 0, TK_FAQ_TITLE_MAX,
                           &in->title, err)
        || tk_read_opt_string(p, body, "body", create, 0, 1, TK_FAQ_BODY_MAX,
                              &in->body, err)
        || tk_read_opt_string(p, body, "category", 0, 1, 0, TK_LABEL_MAX,
                              &in->category, err)) {
        return -1;
    }
    in->status.set = json_object_get(body, "status") != NULL;
    if (in->status.set
        && tk_read_enum(p, body, "status", tk_faq_statuses, 1,
                        &in->status.value, err)) {
        return -1;
    }
    in->tags.set = json_object_get(body, "tags") != NULL;
    return tk_read_tags(p, body, &in->tags.value, err);
}

int tk_faq_filter_parse(apr_pool_t *p, const apr_table_t *q, int staff,
                        int def_limit, int max_limit, tk_faq_filter_t *f,
                        tk_err_t *err)
{
    static const char *const staff_params[] = {
        "status", "category", "tag", "limit", "offset", NULL
    };
    static const char *const public_params[] = {
        "category", "tag", "limit", "offset", NULL
    };

    memset(f, 0, sizeof(*f));
    return tk_query_only(q, staff ? staff_params : public_params, err)
           || tk_query_enum(p, q, "status", tk_faq_statuses, NULL, &f->status,
                            err)
           || tk_query_label(q, "category", TK_LABEL_MAX, &f->category, err)
           || tk_query_label(q, "tag", TK_TAG_MAX, &f->tag, err)
           || tk_query_page(q, def_limit, max_limit, &f->limit, &f->offset,
                            err) ? -1 : 0;
}

int tk_valid_article_link(const json_t *body, const char **article_id,
                          tk_err_t *err)
{
    return tk_read_only_uuid(body, "articleId", "Name the article to link.",
                             article_id, err);
}
