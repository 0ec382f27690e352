// A small GraphQL-over-HTTP client for tests: POST JSON, optional bearer
// token, the decoded answer with the HTTP status.

/**
 * Posts one operation to url. Resolves to { status, data, errors, body }
 * whatever the status; rejects only when the answer is not JSON.
 */
export async function gql(url, query, { variables, token, headers = {} } = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${url}: status ${res.status}, body not JSON: ${text.slice(0, 500)}`);
  }
  return { status: res.status, data: body.data, errors: body.errors, body };
}

/** Like gql, but rejects when the answer has errors; resolves to its data. */
export async function gqlData(url, query, options) {
  const r = await gql(url, query, options);
  if (r.errors?.length) {
    throw new Error(`${url}: unexpected errors: ${JSON.stringify(r.errors)}`);
  }
  return r.data;
}

/** The extensions.code of each error in r, in order. */
export function errorCodes(r) {
  return (r.errors ?? []).map((e) => e.extensions?.code);
}

const payload = 'accessToken refreshToken tokenType expiresIn fresh user { id email role }';

/** Registers an account on gqlauth; resolves to its AuthPayload. */
export async function register(graphqlURL, email, password) {
  const d = await gqlData(graphqlURL, `mutation($i: RegisterInput!) { register(input: $i) { ${payload} } }`,
    { variables: { i: { email, password } } });
  return d.register;
}

/** Logs in on gqlauth; resolves to the AuthPayload. */
export async function login(graphqlURL, email, password) {
  const d = await gqlData(graphqlURL, `mutation($i: LoginInput!) { login(input: $i) { ${payload} } }`,
    { variables: { i: { email, password } } });
  return d.login;
}
