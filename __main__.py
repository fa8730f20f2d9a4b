"""imagepipe: an image pipeline, its web app serverless or on instances (`imagepipe:webTier`).
Reads the stack's settings, composes the stages, exports what clients need. Every resource is
declared in `components/`."""

from pathlib import Path

import pulumi

from components.alarms import Alarms, AlarmsArgs, ApiWatch, WebWatch
from components.api import Api, ApiArgs
from components.cdn import AppOrigin, Cdn, CdnArgs, CustomDomain
from components.commands import Commands, CommandsArgs
from components.config import StackConfig
from components.dashboard import Dashboard, DashboardArgs, StageWatch
from components.enhance import Enhance, EnhanceArgs
from components.filter import EventFilter, EventFilterArgs
from components.function import LambdaSettings
from components.ingest import Ingest, IngestArgs
from components.instance_boot import PYTHON as INSTANCE_PYTHON
from components.instances_web import InstancesFleet, InstancesFleetArgs, InstancesFront, InstancesFrontArgs
from components.notify import Notify, NotifyArgs
from components.package import build_package, handlers_spec, package_names
from components.removal import Removal, RemovalArgs
from components.storage import Storage, StorageArgs
from components.users import Users, UsersArgs
from components.web import Web, WebArgs
from components.web_app import WebAppArgs
from components.wiring import PipelineWiring
from handlers.contract import INSTANCE_BUNDLE

ROOT = Path(__file__).resolve().parent

config = StackConfig.load()
packages = {
    name: build_package(
        handlers_spec(ROOT, config.lambda_runtime, config.lambda_architecture, name),
        cache_dir=ROOT / "build" / "lambda-packages",
    )
    for name in package_names()
}
lambda_settings = LambdaSettings(
    packages={name: pulumi.FileArchive(str(path)) for name, path in packages.items()},
    runtime=config.lambda_runtime,
    architecture=config.lambda_architecture,
    log_retention_days=config.log_retention_days,
    snap_start=config.lambda_snap_start,
    region=config.region,
)

storage = Storage(
    "storage",
    StorageArgs(
        bucket_name=config.images_bucket_name,
        images_table_name=config.resource_name("images"),
        idempotency_table_name=config.resource_name("idempotency"),
        fingerprints_table_name=config.resource_name("fingerprints"),
        force_destroy=config.force_destroy,
    ),
)
events = EventFilter(
    "filter",
    EventFilterArgs(
        topic_name=config.resource_name("events"),
        bucket_id=storage.bucket_id,
        bucket_arn=storage.bucket_arn,
    ),
)
wiring = PipelineWiring(
    lambda_settings=lambda_settings,
    bucket_arn=storage.bucket_arn,
    images_table=storage.images_table,
    idempotency_table=storage.idempotency_table,
    fingerprints_table=storage.fingerprints_table,
    max_upload_bytes=config.max_upload_bytes,
    max_pixels=config.max_pixels,
    max_receive_count=config.max_receive_count,
)
enhance = Enhance(
    "enhance",
    EnhanceArgs(
        function_name=config.resource_name("enhance"),
        wiring=wiring,
        optimized_edge=config.optimized_edge,
        thumbnail_edge=config.thumbnail_edge,
        image_formats=config.image_formats,
        srcset_widths=config.srcset_widths,
        keep_copyright=config.keep_copyright,
        duplicates_across=config.duplicates_across,
    ),
)
ingest = Ingest(
    "ingest",
    IngestArgs(
        function_name=config.resource_name("ingest"),
        wiring=wiring,
        events_topic_arn=events.topic_arn,
        enhance_queue_arn=enhance.queue_arn,
        enhance_queue_url=enhance.queue_url,
    ),
)
removal = Removal(
    "removal",
    RemovalArgs(function_name=config.resource_name("removal"), wiring=wiring, events_topic_arn=events.topic_arn),
)
users = Users(
    "users",
    UsersArgs(
        table_name=config.resource_name("users"),
        session_secret_name=config.resource_name("session-key"),
    ),
)
# The web app's origin first: the CDN names it, and the app is told the CDN's URL.
tier = config.web_tier
if tier.instances:  # seed 003: the network and the balancer (components/instances_web.py)
    front = InstancesFront(
        "web", InstancesFrontArgs(config.name_prefix, config.account_wide_prefix, config.region, tier)
    )
    app_origin = front.origin
else:
    api = Api("api", ApiArgs(api_name=config.resource_name("api")))
    app_origin = AppOrigin(api.origin_url)
cdn = Cdn(
    "cdn",
    CdnArgs(
        name_prefix=config.account_wide_prefix,  # CloudFront's names are account-wide
        bucket_id=storage.bucket_id,
        bucket_arn=storage.bucket_arn,
        bucket_regional_domain_name=storage.bucket_regional_domain_name,
        app_origin=app_origin,
        custom_domain=CustomDomain.from_settings(config.cdn_aliases, config.cdn_certificate_arn),
        price_class=config.cdn_price_class,
        bucket_policy_after=[storage.public_access_block],
    ),
)
app = WebAppArgs(
    users=users,
    images_table=storage.images_table,
    bucket_name=storage.bucket_name,
    bucket_arn=storage.bucket_arn,
    max_upload_bytes=config.max_upload_bytes,
    images_base_url=cdn.url,
    site_url=cdn.url,
    command_date_order=config.command_date_order,
)
if tier.instances:
    bundle = build_package(
        handlers_spec(ROOT, INSTANCE_PYTHON, tier.instance_architecture, INSTANCE_BUNDLE),
        cache_dir=ROOT / "build" / "lambda-packages",
    )
    fleet = InstancesFleet(
        "web",
        InstancesFleetArgs(
            config.name_prefix, config.account_wide_prefix, config.region, tier, front=front, app=app, bundle=bundle
        ),
    )
    web_function: dict[str, pulumi.Output[str]] = {}
    watched = WebWatch(balancers={"balancer": front.watch(fleet.fleet.group.name)})
else:
    web = Web(
        "web",
        WebArgs(function_name=config.resource_name("web"), lambda_settings=lambda_settings, api=api, app=app),
    )
    web_function = {"web": web.function_name}
    watched = WebWatch(apis={"api": ApiWatch(api_name=api.rest_api.name, stage=api.stage_name)})
notify = Notify(
    "notify",
    NotifyArgs(
        function_name=config.resource_name("notify"),
        topic_name=config.resource_name("notifications"),
        wiring=wiring,
        sender_email=config.sender_email,
        owner_emails=config.owner_emails,
        images_base_url=cdn.url,
        users_table=users.table,
        ses_sandbox=config.ses_sandbox,
        digest_seconds=config.mail_digest_seconds,
        sending_rate=config.mail_sending_rate,
    ),
)
commands = Commands(
    "commands",
    CommandsArgs(
        name_prefix=config.name_prefix,
        wiring=wiring,
        events_topic_arn=events.topic_arn,
        date_order=config.command_date_order,
    ),
)
alarms = Alarms(
    "alarms",
    AlarmsArgs(
        name_prefix=config.name_prefix,
        topic_name=config.resource_name("alerts"),
        functions={
            "ingest": ingest.function_name,
            "enhance": enhance.function_name,
            "removal": removal.function_name,
            "notify": notify.function_name,
            **({"mail": notify.mail.function_name} if notify.mail else {}),
            "metadata": commands.metadata.function_name,
            "review": commands.review.function_name,
            **web_function,
        },
        dead_letter_queues={
            "ingest-dlq": ingest.dead_letter_queue_name,
            "enhance-dlq": enhance.dead_letter_queue_name,
            "removal-dlq": removal.dead_letter_queue_name,
            "notify-failures": notify.failures_queue_name,
            **({"mail-dlq": notify.mail.dead_letter_queue_name} if notify.mail else {}),
            "metadata-dlq": commands.metadata.dead_letter_queue_name,
            "review-dlq": commands.review.dead_letter_queue_name,
        },
        rejection_queues={"command-rejections": commands.rejections_queue_name},
        web=watched,
        alert_emails=config.alert_emails,
        period_seconds=config.alarm_period_seconds,
    ),
)

dashboard = Dashboard(
    "dashboard",
    DashboardArgs(
        dashboard_name=f"{config.account_wide_prefix}-operations",  # an account's dashboards are global
        region=config.region,
        stages={
            "ingest": StageWatch.of(ingest),
            "enhance": StageWatch.of(enhance),
            "removal": StageWatch.of(removal),
            "notify": StageWatch(notify.function_name, notify.failures_queue_name),  # fed by the records' stream
            **({"mail": StageWatch.of(notify.mail.stage)} if notify.mail else {}),
            "metadata": StageWatch.of(commands.metadata),
            "review": StageWatch.of(commands.review),
        },
        web=watched,
    ),
)

pulumi.export("images_bucket", storage.bucket_name)
pulumi.export("images_table", storage.images_table_name)
pulumi.export("events_topic_arn", events.topic_arn)
pulumi.export("notifications_topic_arn", notify.topic_arn)
pulumi.export("alerts_topic_arn", alarms.topic_arn)
pulumi.export("dashboard_name", dashboard.dashboard_name)
pulumi.export("ingest_queue_url", ingest.queue_url)
pulumi.export("enhance_queue_url", enhance.queue_url)
pulumi.export("removal_queue_url", removal.queue_url)
pulumi.export("ingest_function", ingest.function_name)
pulumi.export("enhance_function", enhance.function_name)
pulumi.export("removal_function", removal.function_name)
pulumi.export("notify_function", notify.function_name)
pulumi.export("notify_failures_url", notify.failures_url)
if notify.mail:
    pulumi.export("mail_function", notify.mail.function_name)
    pulumi.export("mail_queue_url", notify.mail.stage.queue_url)
    pulumi.export("mail_outbox_table", notify.mail.outbox.name)
pulumi.export("ses_sandbox", config.ses_sandbox)  # the mail checks refuse what SES's sandbox would
pulumi.export("metadata_queue_url", commands.metadata.queue_url)
pulumi.export("review_queue_url", commands.review.queue_url)
pulumi.export("command_rejections_url", commands.rejections_url)
pulumi.export("metadata_function", commands.metadata.function_name)
pulumi.export("review_function", commands.review.function_name)
pulumi.export("region", events.topic_arn.apply(lambda arn: arn.split(":")[3]))
pulumi.export("users_table", users.table_name)
pulumi.export("cdn_url", cdn.url)
pulumi.export("cdn_distribution_id", cdn.distribution_id)
pulumi.export("web_tier", tier.tier)
if tier.instances:
    pulumi.export("load_balancer_url", front.load_balancer_url)
    pulumi.export("vpc_id", front.network.vpc.id)
    pulumi.export("instance_group", fleet.fleet.group.name)
else:
    pulumi.export("web_function", web.function_name)
    pulumi.export("api_url", web.api_url)
