-- The audit search pages newest first by id (a.id < cursor ORDER BY a.id DESC). With a user or an
-- action filter, these indexes serve that order inside the filter, so a page costs the same
-- however rare the filter's rows are; without them a search that matches few records read the
-- whole log once per page.
CREATE INDEX audit_log_user_id ON audit_log(username, id);
CREATE INDEX audit_log_action_id ON audit_log(action, id);
