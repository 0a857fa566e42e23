// @smithy/credential-provider-imds (the AWS SDK for JavaScript v3's IMDS
// provider) against the emulator: node --require ./guard.cjs smithy.cjs,
// with AWS_EC2_METADATA_SERVICE_ENDPOINT set to the emulator's URL.
const { fromInstanceMetadata } = require("@smithy/credential-provider-imds");
(async () => {
  const credentials = await fromInstanceMetadata({ timeout: 2000, maxRetries: 1 })();
  const ok = credentials.accessKeyId === "ASIAEMULATOR0EXAMPLE" && credentials.secretAccessKey.length > 0
    && credentials.sessionToken.length > 0 && credentials.expiration > new Date();
  if (!ok) {
    console.error("smithy: unexpected credentials for", credentials.accessKeyId);
    process.exit(1);
  }
  console.log(`ok: @smithy/credential-provider-imds credentials (${credentials.accessKeyId}, account ${credentials.accountId})`);
})().catch((e) => {
  console.error("smithy:", e.message);
  process.exit(1);
});
