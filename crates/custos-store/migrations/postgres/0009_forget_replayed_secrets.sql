-- Before API keys' creating answers were kept from replays, an `Idempotency-Key` on
-- `POST /v1/api-keys` kept the answer, the key's token with it, in clear. Those answers go:
-- a replay of such a request now answers 409 (a secret is shown once).
DELETE FROM idempotency WHERE position(convert_to('"token":"custos_', 'UTF8') in body) > 0;
