/**
 * Imported first by every command-line entry point (a side-effect import, so it runs before any AWS
 * SDK client exists). The SDK warns on every command, in a multi-line block, that its releases after
 * the first week of January 2027 will need Node 22. That is about future SDK upgrades, not about
 * this project today: the pinned SDK runs on Node 20, and the functions are built for Lambda's
 * Node 22 runtime whatever runs the tools. Say that once, in one line, and silence the repeats
 * (the variable is the SDK's own switch; the local cloud passes it to its functions' workers).
 */
const major = Number(process.versions.node.split('.')[0]);
if (major < 22 && process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED !== 'true') {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  console.error(
    `Note: Node ${process.versions.node} runs these tools; the functions run on Lambda's Node 22 either way. ` +
      'The AWS SDK pinned here supports Node 20; its releases after January 2027 will need Node 22, so upgrade before updating the SDK.',
  );
}
