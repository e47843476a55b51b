// JSON calls to Okno's REST API with the session cookie and its CSRF token.

export class ApiError extends Error {
  constructor(status, id, message, details) {
    super(message || id || String(status));
    this.status = status;
    this.id = id;
    this.details = details;
  }
}

// One request to the API and its answer: the JSON, or an ApiError with the API's error id
// and details. A lost session sends the page to the login form and back here afterwards.
// An aborted request rethrows the AbortError (its caller has a newer one on the way).
export async function fetchApi(path, init = {}) {
  let response;
  try {
    response = await fetch(path, { credentials: "same-origin", ...init });
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    throw new ApiError(0, "network", error.message);
  }
  if (response.status === 401) {
    window.location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
    throw new ApiError(401, "not-authenticated", "");
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.id, error.message, error.details);
  }
  return data;
}

export function makeApi(csrfToken) {
  return async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = csrfToken;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetchApi(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };
}

// Lists come either bare or wrapped ({"items": [...]}); callers want the array.
export function items(data) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.items)) return data.items;
  return [];
}
