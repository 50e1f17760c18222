-- The OpenID Connect identity a staff member signs in with: "<issuer> <sub>", unique when set.
ALTER TABLE staff ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX staff_oidc_subject ON staff (oidc_subject) WHERE oidc_subject IS NOT NULL;
