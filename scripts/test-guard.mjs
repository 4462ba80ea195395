// Preloaded into every test process (scripts/run-tests.mjs): an unhandled promise rejection is
// printed with its stack and fails the file it happened in, even when every test passed.
process.on('unhandledRejection', (reason) => {
  console.error('unhandled promise rejection in a test process:', reason);
  process.exitCode = 1;
});
