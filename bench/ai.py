"""AI generation: the project's own overhead, cache hits, and a burst on the queue.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/3 \\
    .venv/bin/python -m bench.ai [--calls 300] [--burst 50]

Makes its own database (`<name>_bench_ai`) and a local OpenAI-compatible server (the
tests' fake), then measures:
- overhead: `ai_content.services.generate` (rendering, budget check, the openai client,
  pricing, scoring, recording the generation and the spend) against the bare openai
  client calling the same server for the same answer; the difference is ours;
- cache hit: the same at temperature 0, answered from the cache;
- both again through `POST /api/ai/generate/content` in-process (API key, throttles,
  validation, JSON), for reference;
- burst: one `content.generate` job of `--burst` items, the server answering each after
  500 ms, from enqueue to the job's completion by one worker process.
Not a test: figures vary.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from bench.common import ROOT, fresh_postgres


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[94]


def timed(calls: int, func) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        func()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--drain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drain:
        import django

        django.setup()
        from jobs import runner

        print("ready", flush=True)
        processed = idle = 0
        while processed < 2 or idle < 5:  # the warm-up job, then the burst
            ran = runner.drain(worker=f"bench-{os.getpid()}")
            processed += ran
            idle = 0 if ran else idle + 1
            time.sleep(0 if ran else 0.01)
        return
    from tests.ai_content.fake_openai import FakeOpenAI

    fake = FakeOpenAI()
    os.environ.update(
        OPENAI_BASE_URL=fake.url,
        OPENAI_API_KEY="sk-bench",
        OPENAI_MAX_RETRIES="0",
        # the throttles still run (their cost counts), they just never say no here
        API_THROTTLE_CLIENT_RATE="1000000/min",
        API_THROTTLE_GLOBAL_RATE="1000000/min",
    )
    fresh_postgres("bench_ai")

    import openai
    from django.conf import settings
    from rest_framework.test import APIClient

    from ai_content.services import SYSTEM
    from benchbarrier.services.api_keys import create_api_key
    from benchbarrier.services.audit import Actor
    from jobs.models import Job
    from jobs.services import enqueue

    settings.ALLOWED_HOSTS = ["*"]
    key = create_api_key(name="bench", scopes=["ai"], actor=Actor.system("bench"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key.secret}")
    bare = openai.OpenAI(api_key="sk-bench", base_url=fake.url, max_retries=0)
    prompt = "Describe the Trail Runner 2 for trail runners in two sentences."

    def raw() -> None:
        bare.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "system", "content": SYSTEM},
                      {"role": "user", "content": prompt}],
            temperature=0.7, max_tokens=200, n=1,
        )  # fmt: skip

    def post(body: dict) -> None:
        response = client.post("/api/ai/generate/content", body, format="json")
        if response.status_code != 201:
            raise SystemExit(response.content)

    def ours() -> None:
        post({"customPrompt": prompt, "maxTokens": 200})

    def cached() -> None:
        post({"customPrompt": prompt, "temperature": 0})

    from ai_content import services

    def service() -> None:
        services.generate(services.build_request(custom_prompt=prompt, max_tokens=200))

    def service_hit() -> None:
        services.generate(services.build_request(custom_prompt=prompt, temperature=0))

    for func in (raw, service, ours):
        timed(20, func)  # warm up
    raw_p50, raw_p95 = percentiles(timed(args.calls, raw))
    svc_p50, svc_p95 = percentiles(timed(args.calls, service))
    api_p50, api_p95 = percentiles(timed(args.calls, ours))
    service_hit()  # fills the cache; every later call is a hit
    hit_p50, hit_p95 = percentiles(timed(args.calls, service_hit))
    cached()
    api_hit_p50, api_hit_p95 = percentiles(timed(args.calls, cached))
    print(f"bare openai client -> fake server:     p50 {raw_p50:.2f} ms, p95 {raw_p95:.2f} ms")
    print(f"ai_content.services.generate:          p50 {svc_p50:.2f} ms, p95 {svc_p95:.2f} ms")
    print(f"overhead per generation (service - bare): p50 {svc_p50 - raw_p50:.2f} ms, "
          f"p95 {svc_p95 - raw_p95:.2f} ms (target < 5 ms p95)")  # fmt: skip
    print(f"cache hit, service:                    p50 {hit_p50:.2f} ms, p95 {hit_p95:.2f} ms "
          "(target < 2 ms p95)")  # fmt: skip
    print(
        f"through the API (auth, throttles, JSON): generation p50 {api_p50:.2f} / p95 "
        f"{api_p95:.2f} ms; cache hit p50 {api_hit_p50:.2f} / p95 {api_hit_p95:.2f} ms"
    )

    fake.delay = 0.5
    items = [{"key": f"sku-{n}", "variables": {}} for n in range(args.burst)]
    worker = subprocess.Popen([sys.executable, "-m", "bench.ai", "--drain"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    worker.stdout.readline()  # "ready"
    # A long-running worker has made calls before: its first one imports and builds the
    # openai client's models (about half a second), which is not what this measures.
    warm = {"customPrompt": prompt, "items": [{"key": "warm-up"}]}
    warm_up, _ = enqueue(job_type="content.generate", payload=warm)
    while Job.objects.get(pk=warm_up.pk).status != "completed":
        time.sleep(0.05)
    job, _ = enqueue(job_type="content.generate",
                     payload={"customPrompt": prompt, "items": items})  # fmt: skip
    worker.wait()
    job = Job.objects.get(pk=job.pk)
    seconds = (job.completed_at - job.created_at).total_seconds()
    print(f"burst: {job.result['generated']} generations (server answering after 500 ms, "
          f"AI_CONCURRENCY={settings.AI_CONCURRENCY}) done {seconds:.2f} s after the enqueue "
          "(target < 2 s)")  # fmt: skip
    fake.close()


if __name__ == "__main__":
    main()
