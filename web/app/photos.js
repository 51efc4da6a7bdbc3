// Photos of matters (事项照片), shared by the report page, the action dialog and the matter page.
//
//   <photo-picker v-model="files" />   take photos with the phone's camera (input capture) or
//       choose them; thumbnails to check before sending, each removable; a photo over 8 MB, not an
//       image, or past the ninth is refused here with a Chinese message (the server checks again:
//       type by content, size, count — domain/upload.h). v-model is the array of File objects.
//   <photo-gallery :photos="matter.photos" />   thumbnails of photos the server lists
//       ([{hash, url}]: our own URLs, served only to users who may see the matter); a click
//       opens the photo larger. Images only through <img src>: nothing is put into the page as
//       HTML.
import { onBeforeUnmount, ref, watch } from 'vue';
import { Close } from '@element-plus/icons-vue';
import { apiUrl } from './api.js';
import { renderPhotoGallery, renderPhotoPicker } from './gen/photos.js';

export const PHOTO_MAX = 9;                     // UPLOAD_MAX_PER_RECORD
export const PHOTO_MAX_BYTES = 8 * 1024 * 1024; // UPLOAD_MAX_BYTES
// The actions that may carry photos as evidence (matter_action_takes_photos in src/domain/matter.c).
export const PHOTO_ACTIONS = new Set(['self_handle', 'progress', 'submit']);

const mb = (n) => (n / (1024 * 1024)).toFixed(1);

export const PhotoPicker = {
  name: 'PhotoPicker',
  props: { modelValue: { type: Array, default: () => [] }, disabled: Boolean },
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    const previews = ref([]); // [{ file, url }] in the order of modelValue
    const error = ref('');

    function release(list) { for (const p of list) URL.revokeObjectURL(p.url); }
    // The parent clears the files after sending: drop the previews too.
    watch(() => props.modelValue, (files) => {
      if (files.length === previews.value.length && files.every((f, i) => previews.value[i].file === f)) return;
      const keep = previews.value.filter((p) => files.includes(p.file));
      release(previews.value.filter((p) => !files.includes(p.file)));
      previews.value = files.map((f) => keep.find((p) => p.file === f) || { file: f, url: URL.createObjectURL(f) });
    });
    onBeforeUnmount(() => release(previews.value));

    function add(ev) {
      error.value = '';
      const files = [...props.modelValue];
      const added = [];
      for (const f of ev.target.files) {
        if (files.length + added.length >= PHOTO_MAX) { error.value = `最多 ${PHOTO_MAX} 张照片`; break; }
        if (f.type && !f.type.startsWith('image/')) { error.value = `“${f.name}”不是照片，只能上传 JPEG、PNG 或 WebP 格式的照片`; continue; }
        if (f.size > PHOTO_MAX_BYTES) {
          error.value = `照片“${f.name}”有 ${mb(f.size)} MB，超过 ${PHOTO_MAX_BYTES / (1024 * 1024)} MB 的上限，请压缩后再上传`;
          continue;
        }
        if (f.size === 0) { error.value = `照片“${f.name}”是空文件`; continue; }
        added.push(f);
      }
      ev.target.value = '';
      if (!added.length) return;
      for (const f of added) previews.value.push({ file: f, url: URL.createObjectURL(f) });
      emit('update:modelValue', [...files, ...added]);
    }
    function remove(i) {
      const [p] = previews.value.splice(i, 1);
      release([p]);
      error.value = '';
      emit('update:modelValue', props.modelValue.filter((f) => f !== p.file));
    }
    return { previews, error, add, remove, Close, PHOTO_MAX };
  },
  render: renderPhotoPicker,
};

export const PhotoGallery = {
  name: 'PhotoGallery',
  props: { photos: { type: Array, default: () => [] }, size: { type: String, default: 'normal' } },
  setup(props) {
    const src = (p) => apiUrl(p.url);
    const all = () => props.photos.map(src);
    return { src, all };
  },
  render: renderPhotoGallery,
};
