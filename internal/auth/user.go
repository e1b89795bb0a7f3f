package auth

import "context"

// User is who made a request: the token's name and role. Handlers record the name as the
// author of what they change (incident history, allow entries).
type User struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

type userKey struct{}

// WithUser returns ctx carrying u; the middleware calls it for every authenticated request.
func WithUser(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the request's user. Without tokens no one is named, and ok is false: the
// local user may do everything.
func UserFrom(ctx context.Context) (u User, ok bool) {
	u, ok = ctx.Value(userKey{}).(User)
	return u, ok
}
