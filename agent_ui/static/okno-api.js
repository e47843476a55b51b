// JSON calls to Okno's REST API with the session cookie and its CSRF token.

export class ApiError extends Error {
  constructor(status, id, message, details) {
    super(message || id || String(status));
    this.status = status;
    this.id = id;
    this.details = details;
  }
}

export function makeApi(csrfToken) {
  return async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = csrfToken;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, "network", error.message);
    }
    if (response.status === 401) {
      window.location.assign("/login?next=" + encodeURIComponent(location.pathname));
      throw new ApiError(401, "not-authenticated", "");
    }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new ApiError(response.status, error.id, error.message, error.details);
    }
    return data;
  };
}

// Lists come either bare or wrapped ({"items": [...]}); callers want the array.
export function items(data) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.items)) return data.items;
  return [];
}
