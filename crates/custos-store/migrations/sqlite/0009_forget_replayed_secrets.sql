-- Before API keys' creating answers were kept from replays, an `Idempotency-Key` on
-- `POST /v1/api-keys` kept the answer, the key's token with it, in clear. Such an answer is
-- replaced by what a replay of it answers now: 409, the secret not kept (so that the key
-- replayed does not make a second API key).
UPDATE idempotency
SET status = 409,
    body = CAST('{"type":"urn:custos:problem:conflict","title":"Conflict","status":409,"detail":"this request was done, and its answer held a secret shown once, which is not kept: list what it made to find it"}' AS BLOB)
WHERE instr(body, CAST('"token":"custos_' AS BLOB)) > 0;
