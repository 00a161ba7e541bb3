"""The Python Lambda a user would write instead of credvault's PUT, for `make bench` to compare
against (issue 12): KMS GenerateDataKey, AES-256-GCM, one DynamoDB PutItem, under awslambdaric.
No authentication, rate limit or activity log: the least such a function does."""

import json
import os

import boto3
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# Clients once per cold start, as the AWS guidance says.
KMS = boto3.client("kms")
DYNAMODB = boto3.client("dynamodb")
TABLE = os.environ["TABLE_NAME"]
KEY_ID = os.environ["KMS_KEY_ID"]


def handler(event, context):
    name = event["rawPath"].rsplit("/", 1)[-1]
    body = json.loads(event["body"])
    context_ = {"name": name}
    data_key = KMS.generate_data_key(KeyId=KEY_ID, KeySpec="AES_256", EncryptionContext=context_)
    nonce = os.urandom(12)
    plaintext = json.dumps(body["data"]).encode()
    ciphertext = AESGCM(data_key["Plaintext"]).encrypt(nonce, plaintext, name.encode())
    DYNAMODB.put_item(
        TableName=TABLE,
        Item={
            "pk": {"S": f"PEER#{name}"},
            "sk": {"S": "CRED"},
            "type": {"S": body["type"]},
            "metadata": {"S": json.dumps(body.get("metadata"))},
            "encryptedDataKey": {"B": data_key["CiphertextBlob"]},
            "nonce": {"B": nonce},
            "ciphertext": {"B": ciphertext},
        },
    )
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"name": name, "type": body["type"]})}
