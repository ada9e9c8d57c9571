"""Stand-ins for s3fs, fusermount and mountpoint, for test/recipes/s3fs.test.ts.

There is no FUSE on the machines that run the tests (no s3fs, no fusermount,
/dev/fuse for root only), so the recipe's commands find these on their PATH
instead: `python3 s3fs_stand_in.py <command> <arguments>`. What each does:

- `s3fs BUCKET MOUNTPOINT -o passwd_file=FILE[,url=URL] ...` reads the
  password file as s3fs does when it mounts (refused unless only its owner may
  read it; one `ACCESS_KEY_ID:SECRET_ACCESS_KEY` line), keeps that key for the
  life of the "mount" (s3fs never reads the file again), and makes the first
  requests a mount makes: it lists the bucket and reads an object, signed with
  that key, against moto. moto does not check signatures or key status, so two
  checks stand in for what S3 would refuse: STS GetCallerIdentity signed with
  the key must name the expected user (moto resolves the key id to its user),
  and the key must be Active in IAM (asked as moto's administrator, the test's
  witness, not as the server). A failed check fails the mount, as S3's 403 would.
- `read MOUNTPOINT` is one read through a mount: the same requests and checks,
  with the key the mount was made with (not the file's key now).
- `fusermount -u MOUNTPOINT` unmounts, recording the key the mount held and its status then;
  while $S3FS_STAND_IN_STATE/busy exists it refuses, as fusermount does while a file is open.
- `mountpoint -q DIR` exits 0 when DIR is mounted here, 32 when it is not (as util-linux's does).

State lives in $S3FS_STAND_IN_STATE: mounts.json (the mount table) and
calls.jsonl (one line per call, for the test's assertions).
"""
import json
import os
import stat
import sys

STATE = os.environ["S3FS_STAND_IN_STATE"]
MOUNTS = os.path.join(STATE, "mounts.json")
CALLS = os.path.join(STATE, "calls.jsonl")
ADMIN = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # moto's administrator: the witness
REGION = "us-east-1"


def mounts() -> dict:
    try:
        with open(MOUNTS, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def save(table: dict) -> None:
    with open(MOUNTS, "w", encoding="utf-8") as f:
        json.dump(table, f)


def record(entry: dict) -> None:
    with open(CALLS, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


def fail(message: str, code: int = 1) -> None:
    sys.stderr.write(message + "\n")
    sys.exit(code)


def status_of(session_factory, endpoint: str, access_key_id: str) -> str:
    """The key's status in IAM, asked as moto's administrator (what S3 would enforce; moto does not)."""
    iam = session_factory(**ADMIN, region_name=REGION).client("iam", endpoint_url=endpoint)
    user = iam.get_access_key_last_used(AccessKeyId=access_key_id).get("UserName")
    if not user:
        return "Unknown"
    for key in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
        if key["AccessKeyId"] == access_key_id:
            return key["Status"]
    return "Deleted"


def use(mount: dict) -> dict:
    """A mount's requests, signed with the mount's key: who the key is, then list the bucket and read its first object."""
    import boto3  # only the commands that call AWS pay for the import

    endpoint = mount["url"]
    status = status_of(boto3.session.Session, endpoint, mount["accessKeyId"])
    session = boto3.session.Session(
        aws_access_key_id=mount["accessKeyId"], aws_secret_access_key=mount["secretAccessKey"], region_name=REGION,
    )
    arn = session.client("sts", endpoint_url=endpoint).get_caller_identity()["Arn"]
    out = {"accessKeyId": mount["accessKeyId"], "status": status, "arn": arn}
    if status != "Active":
        fail(f"s3fs: the key {mount['accessKeyId']} is {status}: S3 answers 403 InvalidAccessKeyId")
    s3 = session.client("s3", endpoint_url=endpoint)
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=mount["bucket"]).get("Contents", [])]
    out["objects"] = listed
    if listed:
        out["body"] = s3.get_object(Bucket=mount["bucket"], Key=listed[0])["Body"].read().decode()
    return out


def s3fs(args: list) -> None:
    positional = []
    options = {}
    i = 0
    while i < len(args):
        if args[i] == "-o":
            for opt in args[i + 1].split(","):
                name, _, value = opt.partition("=")
                options[name] = value
            i += 2
        else:
            positional.append(args[i])
            i += 1
    if len(positional) != 2:
        fail(f"s3fs: expected BUCKET MOUNTPOINT, got {positional}")
    bucket, mountpoint = positional
    table = mounts()
    if mountpoint in table:
        fail(f"s3fs: {mountpoint} is already mounted")
    passwd_file = options.get("passwd_file")
    if not passwd_file:
        fail("s3fs: this stand-in reads its key from -o passwd_file only")
    mode = os.stat(passwd_file).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        fail(f"s3fs: credentials file {passwd_file} should not have group or others permissions")
    with open(passwd_file, encoding="utf-8") as f:
        lines = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    if len(lines) != 1 or lines[0].count(":") != 1:
        fail(f"s3fs: expected one ACCESS_KEY_ID:SECRET_ACCESS_KEY line in {passwd_file}")
    access_key_id, secret_access_key = lines[0].split(":")
    mount = {
        "bucket": bucket, "passwdFile": passwd_file, "url": options.get("url") or os.environ["AWS_ENDPOINT_URL"],
        "accessKeyId": access_key_id, "secretAccessKey": secret_access_key,
    }
    seen = use(mount)
    table[mountpoint] = mount
    save(table)
    record({"command": "s3fs", "bucket": bucket, "mountpoint": mountpoint, "passwdFile": passwd_file, **seen})


def read(args: list) -> None:
    mount = mounts().get(args[0])
    if not mount:
        fail(f"read: {args[0]} is not mounted")
    record({"command": "read", "mountpoint": args[0], **use(mount)})


def fusermount(args: list) -> None:
    if len(args) != 2 or args[0] != "-u":
        fail(f"fusermount: this stand-in unmounts only (-u MOUNTPOINT), got {args}")
    table = mounts()
    mount = table.pop(args[1], None)
    if not mount:
        fail(f"fusermount: entry for {args[1]} not found in /etc/mtab")
    if os.path.exists(os.path.join(STATE, "busy")):
        fail(f"fusermount: failed to unmount {args[1]}: Device or resource busy")
    import boto3

    status = status_of(boto3.session.Session, mount["url"], mount["accessKeyId"])
    save(table)
    record({"command": "fusermount", "mountpoint": args[1], "accessKeyId": mount["accessKeyId"], "status": status})


def mountpoint(args: list) -> None:
    directory = [a for a in args if not a.startswith("-")]
    sys.exit(0 if directory and directory[0] in mounts() else 32)


if __name__ == "__main__":
    {"s3fs": s3fs, "read": read, "fusermount": fusermount, "mountpoint": mountpoint}[sys.argv[1]](sys.argv[2:])
