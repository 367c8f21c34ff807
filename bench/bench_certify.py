"""Certificate signing and rendering: time per certificate and image size."""

from __future__ import annotations

import statistics
import time

from carbonneutral.certify.keys import SigningKey
from carbonneutral.certify.render import render_png
from carbonneutral.domain.certificates import SignedCertificate

DOC = {
    "schema": "carbon-neutral-certificate/1",
    "certificate_id": "cert_benchmark0000000000000",
    "beneficiary": "李雷 Li Lei",
    "beneficiary_kind": "individual",
    "quantity_kg": 461,
    "reason": "Carbon neutrality for a forum",
    "scene_id": "cdcnf-2021",
    "scene": {"zh_cn": "首届中国数字碳中和高峰论坛", "en": "First China Digital Carbon Neutrality Forum"},
    "project_id": "cdcer-longquan-forest",
    "project": {"zh_cn": "龙泉山城市森林碳汇项目", "en": "Longquan forest"},
    "standard": "CDCER",
    "vintage": 2023,
    "developer": {"zh_cn": "龙泉山林业", "en": "Longquan Forestry"},
    "serials": ["CDCER-cdcer-longquan-forest-2023-1-461"],
    "retired_at": "2026-11-24T05:00:00Z",
    "factor_set": "2025.1",
    "issuer": "https://neutral.example",
    "kid": "bench",
}


def timed(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


if __name__ == "__main__":
    key = SigningKey.generate("bench")
    certificate = SignedCertificate.model_validate({**DOC, "signature": key.sign(DOC)})
    render_png(certificate, "https://neutral.example/c/x/verify")  # load fonts once, as a warm Lambda has
    sign_ms = timed(lambda: key.sign(DOC), 200)
    render_ms = timed(lambda: render_png(certificate, "https://neutral.example/c/x/verify"), 20)
    size = len(render_png(certificate, "https://neutral.example/c/x/verify"))
    print(
        f"sign (Ed25519 over JCS): {sign_ms:.3f} ms median; render PNG 1200x630: {render_ms:.0f} ms median; "
        f"image {size / 1024:.0f} KiB"
    )
