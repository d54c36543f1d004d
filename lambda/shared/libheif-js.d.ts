// The parts of libheif-js's embind API that decode-image.ts uses. The package ships a full d.ts for
// the module (libheif-wasm/libheif.d.ts) but none for the self-contained bundle, whose wasm is inlined.

declare module 'libheif-js/libheif-wasm/libheif-bundle.mjs' {
  /** An embind enum value: one object per value, so compared by identity. */
  interface HeifEnum {
    readonly value: number;
  }
  interface HeifError {
    readonly code: HeifEnum;
    readonly subcode?: HeifEnum;
    readonly message: string;
  }
  interface HeifHandle {
    readonly code?: undefined;
  }
  interface HeifChannel {
    readonly id: HeifEnum;
    readonly width: number;
    readonly height: number;
    readonly stride: number;
    readonly data: Uint8Array;
  }
  interface HeifDecoded {
    readonly code?: undefined;
    readonly image: unknown;
    readonly channels: HeifChannel[];
  }
  export interface LibHeif {
    heif_get_version(): string;
    readonly heif_error_code: { readonly heif_error_Ok: HeifEnum };
    readonly heif_colorspace: { readonly heif_colorspace_RGB: HeifEnum };
    readonly heif_chroma: {
      readonly heif_chroma_interleaved_RGB: HeifEnum;
      readonly heif_chroma_interleaved_RGBA: HeifEnum;
    };
    readonly heif_channel: { readonly heif_channel_interleaved: HeifEnum };
    heif_context_alloc(): unknown;
    heif_context_free(context: unknown): void;
    heif_context_read_from_memory(context: unknown, bytes: Uint8Array): HeifError;
    heif_js_context_get_primary_image_handle(context: unknown): HeifHandle | HeifError;
    heif_image_handle_get_width(handle: HeifHandle): number;
    heif_image_handle_get_height(handle: HeifHandle): number;
    heif_image_handle_has_alpha_channel(handle: HeifHandle): number;
    heif_image_handle_release(handle: HeifHandle): void;
    heif_js_decode_image2(
      handle: HeifHandle,
      colorspace: HeifEnum,
      chroma: HeifEnum,
    ): HeifDecoded | HeifError | Promise<HeifDecoded | HeifError>;
    heif_image_release(image: unknown): void;
  }
  export default function factory(options?: Record<string, unknown>): Promise<LibHeif>;
}
