/* handlers.h -- the HTTP routes of identity and audit (auth/handlers.c), named in the route
 * table (fhir/routes.c). Handlers follow http/http.h. */
#ifndef YL_AUTH_HANDLERS_H
#define YL_AUTH_HANDLERS_H

#include "http/http.h"

enum yl_code yl_h_login(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_logout(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_me(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_password(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_token_create(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_token_revoke(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_audit_search(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_glass(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_glass_list(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_user_list(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_user_add(struct yl_req *r, struct yl_err *err);
enum yl_code yl_h_user_action(struct yl_req *r, struct yl_err *err);

#endif
