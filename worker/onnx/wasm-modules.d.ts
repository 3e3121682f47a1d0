// `.wasm` imports are turned into compiled modules by wrangler's CompiledWasm rule
// (a default rule; also what Cloudflare's Vitest pool does), so the importer receives
// a WebAssembly.Module, never bytes: Workers forbid compiling WASM from bytes at run time.
declare module "*.wasm" {
  const compiled: WebAssembly.Module;
  export default compiled;
}
