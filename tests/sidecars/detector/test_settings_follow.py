"""A worker's detector follows the settings the admin's GuardDuty API writes (``--workers``): after
UpdateDetector(Enable=False) it observes nothing, after a new FindingPublishingFrequency it paces
its updates by it, after DeleteDetector it is off; a damaged file leaves the settings in force."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
from botocore.config import Config

from tests.control.stack import KEYS
from tests.sidecars.detector.test_api_lifecycle import DETECTOR, STORE, _probe
from tests.support.awsshapes import strict
from tests.support.servers import uvicorn_in_thread
from tests.support.wait import until
from wafproxy.sidecars.detector.api import GuardDutyApi
from wafproxy.sidecars.detector.detector import PUBLISH_UPDATES_EVERY, Detector
from wafproxy.sidecars.detector.findings import DetectorInfo
from wafproxy.sidecars.detector.outputs import FindingOutbox
from wafproxy.sidecars.detector.policy import load_policy
from wafproxy.sidecars.detector.resources import DetectorResources
from wafproxy.sidecars.detector.wiring import DetectorService, attach_to_data_path, build_detector


def _worker(settings_file: Path) -> DetectorService:
    det = Detector(load_policy(), DetectorInfo(DETECTOR))
    service = DetectorService(det, FindingOutbox(det.info), None)
    service.settings_file = settings_file
    return service


def test_a_worker_follows_update_and_delete(tmp_path: Path) -> None:
    state = tmp_path / ".wafproxy" / "detector.json"
    state.parent.mkdir()
    admin = Detector(load_policy(), DetectorInfo(DETECTOR))
    api = GuardDutyApi(admin, DetectorResources(admin.intel, admin.policy.scenarios.threat_intel, state),
                       credentials=STORE)
    worker = _worker(state)
    worker.follow_settings()  # no file yet: the defaults
    assert worker.detector.enabled and worker.detector.publish_updates_every == PUBLISH_UPDATES_EVERY
    with uvicorn_in_thread(api.app) as server:
        gd: Any = strict(boto3.client("guardduty", endpoint_url=server.url, region_name="us-east-1",
                                      aws_access_key_id="AKIAALICE", aws_secret_access_key="s3cr3t",
                                      config=Config(retries={"max_attempts": 1})))
        gd.update_detector(DetectorId=DETECTOR, Enable=False, FindingPublishingFrequency="SIX_HOURS")
        worker.follow_settings()
        assert not worker.detector.enabled and worker.detector.publish_updates_every == 21600.0
        _probe(worker.detector, "198.51.100.30")
        assert worker.detector.store.all() == []
        gd.update_detector(DetectorId=DETECTOR, Enable=True)
        worker.follow_settings()
        _probe(worker.detector, "198.51.100.31")
        assert len(worker.detector.store.all()) == 1
        state.write_text("{not json", encoding="utf-8")  # damaged: what was in force stays
        worker.follow_settings()
        assert worker.detector.enabled
        gd.delete_detector(DetectorId=DETECTOR)
        worker.follow_settings()
        assert not worker.detector.enabled


def test_the_follower_runs_with_the_service_and_not_beside_the_api(tmp_path: Path) -> None:
    state = tmp_path / ".wafproxy" / "detector.json"
    state.parent.mkdir()
    DetectorResources(Detector(load_policy(), DetectorInfo(DETECTOR)).intel,
                      load_policy().scenarios.threat_intel, state).save()
    settings = SimpleNamespace(detector="on", detector_policy=None, account_id="000000000000",
                               region="us-east-1", detector_findings=None, detector_webhook=None,
                               redis=None, credentials="creds.ini", state_dir=str(tmp_path), acl="acl.json")

    class Sink:
        def subscribe(self, _consumer: Any) -> None:
            pass

    worker = attach_to_data_path(settings, Sink(), SimpleNamespace(gate=None), None, "acl")
    assert worker is not None and worker.settings_file == state

    async def run() -> None:
        await worker.astart()
        text = state.read_text(encoding="utf-8").replace('"enabled": true', '"enabled": false')
        state.write_text(text, encoding="utf-8")
        await asyncio.to_thread(until, lambda: not worker.detector.enabled, what="the worker disabled")
        await worker.aclose()

    asyncio.run(run())


def test_delete_detector_empties_the_findings_file_at_once(tmp_path: Path) -> None:
    from tests.control.stack import running_stack  # the WAFv2 plane the detector attaches to

    settings = SimpleNamespace(detector="on", detector_policy=None, account_id="123456789012",
                               region="us-east-1", detector_findings=None, detector_webhook=None, redis=None)
    service = build_detector(settings, None, "test-acl")
    assert service is not None
    with running_stack(tmp_path, policies=False) as stack:  # no policy file: any signed caller
        service.attach_plane(stack.plane)
        assert service.api is not None and service.findings_file is not None
        detector_id = service.detector.info.detector_id
        _probe(service.detector, "198.51.100.40")
        service.detector.store.save(service.findings_file)
        assert json.loads(service.findings_file.read_text())  # one finding on disk
        with uvicorn_in_thread(service.api.app) as server:
            key, secret = KEYS["admin"]
            gd = boto3.client("guardduty", endpoint_url=server.url, region_name="us-east-1",
                              aws_access_key_id=key, aws_secret_access_key=secret,
                              config=Config(retries={"max_attempts": 1}))
            gd.delete_detector(DetectorId=detector_id)
        assert json.loads(service.findings_file.read_text()) == []
