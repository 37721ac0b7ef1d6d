"""The Label Studio server the backend works for: where it is, its API key, and the two things asked of it,
a task's image and a project's annotations. Every failure is a LabelStudioError whose message says, in one
line, what was asked of which address and what went wrong (not reachable, the key refused, not found)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import httpx

from ...data.annotations.label_studio import file_name, find_image

TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class LabelStudioError(Exception):
    """Label Studio could not give what was asked; `status` is the HTTP status the backend answers with."""

    def __init__(self, message: str, status: int = 502):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class LabelStudio:
    """A Label Studio server: its address and API key, either kind Label Studio 1.23 has: a legacy token
    (sent as `Token KEY`; off unless LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true) or a personal access token (a
    JWT refresh token: traded at /api/token/refresh/ for an access token sent as `Bearer ...`, traded again
    when that expires). `images`: a local folder where the tasks' images also are (looked up by file name
    first)."""
    url: str = ""
    api_key: str = ""
    images: Path | None = None
    _access: dict = field(default_factory=dict, compare=False, repr=False)   # the current access token (JWT)

    @classmethod
    def configured(cls, url: str | None = None, api_key: str | None = None, images: str | Path | None = None
                   ) -> LabelStudio:
        """From the command line, else LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY (else what /setup sends)."""
        return cls((url or os.environ.get("LABEL_STUDIO_URL", "")).rstrip("/"),
                   api_key or os.environ.get("LABEL_STUDIO_API_KEY", ""), Path(images) if images else None)

    def or_else(self, url: str, api_key: str) -> LabelStudio:
        """This connection with what /setup sent filling what was not configured."""
        if self.url and self.api_key:
            return self
        return LabelStudio(self.url or (url or "").rstrip("/"), self.api_key or api_key or "", self.images)

    @property
    def personal_token(self) -> bool:
        return self.api_key.startswith("eyJ") and self.api_key.count(".") == 2

    def _authorisation(self, what: str, fresh: bool = False) -> dict[str, str]:
        if not self.personal_token:
            return {"Authorization": f"Token {self.api_key}"}
        if fresh or "token" not in self._access:
            address = urljoin(self.url + "/", "api/token/refresh/")
            try:
                answer = httpx.post(address, json={"refresh": self.api_key}, timeout=TIMEOUT)
            except httpx.HTTPError as error:
                raise LabelStudioError(f"{what}: cannot reach {address} ({type(error).__name__}: {error})") from None
            if answer.status_code != 200 or "access" not in answer.text:
                raise LabelStudioError(f"{what}: {address} refused the personal access token ({answer.status_code}): "
                                       f"the API key was refused (--api-key or LABEL_STUDIO_API_KEY)")
            self._access["token"] = answer.json()["access"]
        return {"Authorization": f"Bearer {self._access['token']}"}

    def _get(self, address: str, what: str) -> httpx.Response:
        if not address.startswith(("http://", "https://")):
            if not self.url:
                raise LabelStudioError(f"{what}: {address} is relative to Label Studio, whose address is unknown "
                                       f"(--url, LABEL_STUDIO_URL, or the hostname /setup sends)")
            address = urljoin(self.url + "/", address.lstrip("/"))
        same_server = self.url and urlparse(address).netloc == urlparse(self.url).netloc
        headers = self._authorisation(what) if self.api_key and same_server else {}
        response = self._fetch(address, headers, what)
        if response.status_code == 401 and self.personal_token and same_server:   # the access token expired
            response = self._fetch(address, self._authorisation(what, fresh=True), what)
        if response.status_code in (401, 403):
            key = "no API key was given" if not headers else "the API key was refused"
            raise LabelStudioError(f"{what}: {address} answered {response.status_code}: {key} (--api-key or "
                                   f"LABEL_STUDIO_API_KEY; Label Studio 1.23 refuses its legacy tokens unless "
                                   f"LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true: give a personal access token)")
        if response.status_code >= 400:
            raise LabelStudioError(f"{what}: {address} answered {response.status_code}")
        return response

    @staticmethod
    def _fetch(address: str, headers: dict[str, str], what: str) -> httpx.Response:
        try:
            return httpx.get(address, headers=headers, timeout=TIMEOUT, follow_redirects=True)
        except httpx.HTTPError as error:
            raise LabelStudioError(f"{what}: cannot reach {address} ({type(error).__name__}: {error})") from None

    def image_bytes(self, reference: str, task_id: object = None) -> tuple[bytes, str]:
        """The bytes of a task's image and its file name: a local path, a file in `images` of the same name,
        else fetched (a path of Label Studio's own, /data/upload/..., /data/local-files/?d=..., with the key;
        another URL without it)."""
        what = f"task {task_id}'s image"
        name = file_name(reference)
        parsed = urlparse(reference)
        local = Path(unquote(parsed.path)) if parsed.scheme in ("", "file") and not reference.startswith("/data/") else None
        for candidate in ([local] if local else []) + ([find_image(self.images, reference)] if self.images else []):
            if candidate.is_file():
                try:
                    return candidate.read_bytes(), name
                except OSError as error:
                    raise LabelStudioError(f"{what}: cannot read {candidate} ({error.strerror})") from None
        if local is not None:
            raise LabelStudioError(f"{what}: {reference}: no such file here (a task's image is a file here, a "
                                   f"Label Studio path /data/..., or a URL)", status=422)
        return self._get(reference, what).content, name

    def export(self, project: int) -> list[dict]:
        """The project's tasks with their annotations (Label Studio's JSON export)."""
        response = self._get(f"/api/projects/{project}/export?exportType=JSON&download_all_tasks=false",
                             f"project {project}'s annotations")
        try:
            tasks = response.json()
        except ValueError:
            raise LabelStudioError(f"project {project}'s export is not JSON") from None
        if not isinstance(tasks, list):
            raise LabelStudioError(f"project {project}'s export is not a list of tasks")
        return tasks

